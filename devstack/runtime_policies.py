"""The IAM policies the CDK app gives each runtime's role, rendered for the local endpoint.

Source: the dev environment's CloudFormation templates, synthesized by the same `build()` that
`make synth` (infra/cdk/synth_all.sh, into cdk.out/dev) and `cdk deploy` run; cdk-nag and
CloudFormation's schema check are left out, they change no template. A synth takes 10-20 s and
needs Node (infra/cdk/node_modules), so the templates are cached in
`~/.cache/smartalex/runtime-policies/<key>.json` ($XDG_CACHE_HOME respected), where the key
hashes everything that shapes them: the sources of infra/cdk and smartalex/adapters (tables,
queues, names, metrics), this module, and the installed aws-cdk-lib, constructs and chalice. A
miss synthesizes in a child process, under a lock, so concurrent sessions synthesize once.

`local_policies()` renders, for each runtime, the policy documents attached to the role it runs
with in AWS (the API Lambda's role, the edge-events Lambda's role, the edge's ECS task role),
with every reference to a stack resource replaced by the local resource of the same spec:
- a DynamoDB table by its pynamodb model's local table (DataStack names each table's construct
  after its model);
- an SQS queue by its QueueSpec's local queue (MessagingStack names the construct after the
  spec's key, its DLQ `<Key>Dlq`);
- the SIP secrets key (what SMARTALEX_SECRETS_KMS_KEY_ID names in the runtime's environment) by
  the local key devstack.aws_endpoint.create_secrets_key() made;
- the secret prefix (SMARTALEX_SECRET_PREFIX in the runtime's environment, a literal in the
  policy's ARNs) by the local prefix (names.secret_prefix());
- region and account by the local ones (moto's account 123456789012).
Resources that do not exist locally (log groups, a key nothing local uses, any other kind) get
an ARN no local request can match. A table or queue with no local counterpart, an attribute
other than an ARN or a name, or an intrinsic function other than Ref, GetAtt, ImportValue,
Join and Sub is an error that names it: teach `Renderer`.

`python -m devstack policies` prints the rendered documents.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CDK_DIR = ROOT / "infra" / "cdk"
ENVIRONMENT = "dev"  # the environment whose roles the local runtimes get
LOCAL_ACCOUNT = "123456789012"  # moto's default account
API, EDGE_EVENTS, EDGE = "api", "edge-events", "edge"
RUNTIMES = (API, EDGE_EVENTS, EDGE)
EDGE_EVENTS_HANDLER = "functions.edge_events.handler.lambda_handler"
# What shapes the templates, besides these packages' versions.
_SOURCES = (CDK_DIR, ROOT / "smartalex" / "adapters")
_PACKAGES = ("aws-cdk-lib", "constructs", "chalice")
_KEPT_ENTRIES = 5


# --- the synthesized templates, cached ---------------------------------------------------

def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "smartalex" / "runtime-policies"


def source_key() -> str:
    """A hash of everything the templates' IAM policies depend on."""
    digest = hashlib.sha256()
    files = sorted({Path(__file__).resolve(), *(
        path for source in _SOURCES for path in source.rglob("*.py")
        if "node_modules" not in path.parts)})
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    for package in _PACKAGES:
        digest.update(f"{package}=={version(package)}\0".encode())
    return digest.hexdigest()[:24]


def templates() -> dict[str, dict]:
    """The dev environment's templates by concern ("Api", "Edge", ...), from the cache or a
    synth (a one-line notice on stderr, as it takes a while)."""
    key = source_key()
    directory = cache_dir()
    path = directory / f"{key}.json"
    if path.exists():
        return json.loads(path.read_text())
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another session may be synthesizing the same key
        if not path.exists():
            print(f"Synthesizing the CDK app ({ENVIRONMENT}) for the runtimes' IAM policies; "
                  f"cached in {directory} for next time…", file=sys.stderr, flush=True)
            found = _synthesize()
            partial = path.with_suffix(".partial")
            partial.write_text(json.dumps(found))
            partial.replace(path)
            _prune(directory, keep=path)
    return json.loads(path.read_text())


def _prune(directory: Path, keep: Path) -> None:
    entries = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [e for e in entries if e != keep][_KEPT_ENTRIES - 1:]:
        old.unlink(missing_ok=True)


def _synthesize() -> dict[str, dict]:
    node_bin = CDK_DIR / "node_modules" / ".bin"
    if not (node_bin / "node").exists():
        # Node 22 from infra/cdk's lock file for jsii (as infra/cdk/synth_all.sh does).
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=CDK_DIR, check=True, capture_output=True)
    # Nothing of the local stack's environment (stage, endpoint, credentials) reaches the synth.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMARTALEX_", "AWS_"))}
    env.update(PATH=f"{node_bin}{os.pathsep}{env.get('PATH', '')}", AWS_DEFAULT_REGION="us-east-1",
               CDK_DISABLE_VERSION_CHECK="true", CDK_DISABLE_CLI_TELEMETRY="true")
    with tempfile.TemporaryDirectory(prefix="smartalex-synth-") as outdir:
        done = subprocess.run([sys.executable, "-m", "devstack.runtime_policies", "--synth", outdir],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
            raise RuntimeError(f"Synthesizing the CDK app for the runtimes' IAM policies failed "
                               f"(python -m devstack.runtime_policies --synth):\n{tail}")
        prefix = f"SmartAlex-{ENVIRONMENT}-"
        return {path.name[len(prefix):-len(".template.json")]: json.loads(path.read_text())
                for path in Path(outdir).glob(f"{prefix}*.template.json")}


def _synthesize_into(outdir: str) -> None:
    """The child process of _synthesize(): the CDK app's build() for ENVIRONMENT."""
    from infra.cdk.app import build, new_app
    from infra.cdk.environments import ENVIRONMENTS

    # Path metadata, as the CDK CLI adds it (Renderer reads construct ids from it).
    app = new_app(outdir=outdir, builtin_cloud_formation_validation=False,
                  context={"aws:cdk:enable-path-metadata": True})
    build(app, ENVIRONMENTS[ENVIRONMENT])
    app.synth()


# --- each runtime's role in the templates ------------------------------------------------

@dataclass(frozen=True)
class Role:
    """A runtime's role: where it is declared and the environment the stack gives the runtime."""

    runtime: str
    concern: str
    logical_id: str
    environment: dict[str, Any]  # variable -> template value


def _role_id(value: Any, where: str) -> str:
    if isinstance(value, dict) and list(value) == ["Fn::GetAtt"] and value["Fn::GetAtt"][1] == "Arn":
        return value["Fn::GetAtt"][0]
    raise ValueError(f"{where}: the role is not a role of the same stack ({value!r})")


def find_role(stacks: dict[str, dict], runtime: str) -> Role:
    """The role the runtime runs with: the API function's, the edge-events function's, or the
    edge task definition's task role."""
    def resources(concern: str, type_: str) -> list[tuple[str, dict]]:
        return [(lid, r["Properties"]) for lid, r in stacks[concern]["Resources"].items()
                if r["Type"] == type_]

    if runtime == API:
        # chalice.cdk ships the API as a SAM function (the transform runs at deploy time).
        (lid, props), = resources("Api", "AWS::Serverless::Function")
        return Role(runtime, "Api", _role_id(props["Role"], f"Api/{lid}"),
                    props.get("Environment", {}).get("Variables", {}))
    if runtime == EDGE_EVENTS:
        (lid, props), = [(lid, p) for lid, p in resources("Functions", "AWS::Lambda::Function")
                         if p.get("Handler") == EDGE_EVENTS_HANDLER]
        return Role(runtime, "Functions", _role_id(props["Role"], f"Functions/{lid}"),
                    props.get("Environment", {}).get("Variables", {}))
    if runtime == EDGE:
        (lid, props), = resources("Edge", "AWS::ECS::TaskDefinition")
        (container,) = [c for c in props["ContainerDefinitions"] if c["Name"] == "edge"]
        return Role(runtime, "Edge", _role_id(props["TaskRoleArn"], f"Edge/{lid}"),
                    {v["Name"]: v["Value"] for v in container.get("Environment", [])})
    raise ValueError(f"unknown runtime {runtime!r}; one of {', '.join(RUNTIMES)}")


def role_policies(stack: dict, role_id: str) -> list[tuple[str, dict]]:
    """(name, document) of every policy attached to the role in its stack: the role's inline
    policies and the AWS::IAM::Policy resources naming it (CDK's DefaultPolicy, grants)."""
    role = stack["Resources"][role_id]["Properties"]
    if role.get("ManagedPolicyArns"):
        raise ValueError(f"{role_id} has managed policies, which cannot be rendered locally: "
                         f"{role['ManagedPolicyArns']}")
    found = [(p["PolicyName"], p["PolicyDocument"]) for p in role.get("Policies", [])]
    for lid, resource in stack["Resources"].items():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and \
                {"Ref": role_id} in resource["Properties"].get("Roles", []):
            found.append((lid, resource["Properties"]["PolicyDocument"]))
    return found


# --- rendering ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Local:
    """The local names of what the policies reference."""

    region: str
    account: str
    secret_prefix: str
    secrets_key_arn: str | None
    tables: dict[str, str]  # pynamodb model -> table name
    queues: dict[str, str]  # Messaging construct id -> queue name

    @classmethod
    def here(cls) -> "Local":
        """This process's names (SMARTALEX_STAGE etc.), as the runtimes it starts will see them."""
        from smartalex.adapters import aws, names
        from smartalex.adapters.dynamodb.schema import table_specs
        from smartalex.adapters.queues import QUEUES

        queues = {}
        for spec in QUEUES:
            construct = "".join(part.title() for part in spec.key.split("_"))  # messaging.py
            queues[construct], queues[f"{construct}Dlq"] = spec.name(), spec.dlq_name
        return cls(aws.region(), LOCAL_ACCOUNT, names.secret_prefix(), names.secrets_kms_key(),
                   {spec.model: spec.table_name for spec in table_specs()}, queues)


_PSEUDO = ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix")


class Renderer:
    """Intrinsic functions of one environment's templates to local strings."""

    def __init__(self, stacks: dict[str, dict], local: Local, role: Role):
        self.stacks, self.local = stacks, local
        self.exports = {output["Export"]["Name"]: (concern, output["Value"])
                        for concern, template in stacks.items()
                        for output in template.get("Outputs", {}).values() if "Export" in output}
        prefix = role.environment.get("SMARTALEX_SECRET_PREFIX")
        if not isinstance(prefix, str):
            raise ValueError(f"{role.runtime}: the stack gives it no literal SMARTALEX_SECRET_PREFIX")
        self.stack_secret_prefix = prefix
        key = role.environment.get("SMARTALEX_SECRETS_KMS_KEY_ID")
        self.secrets_key = self.reference(key, role.concern) if key is not None else None

    def pseudo(self, name: str) -> str:
        return {"AWS::Region": self.local.region, "AWS::AccountId": self.local.account,
                "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}[name]

    def reference(self, value: Any, concern: str) -> tuple[str, str] | None:
        """The (concern, logical id) a Ref/GetAtt/ImportValue points at, if it is one."""
        if not isinstance(value, dict) or len(value) != 1:
            return None
        (fn, arg), = value.items()
        if fn == "Fn::ImportValue":
            producer, exported = self.exports[self.render(arg, concern)]
            return self.reference(exported, producer)
        if fn == "Ref" and arg not in _PSEUDO:
            return concern, arg
        if fn == "Fn::GetAtt":
            return concern, arg[0] if isinstance(arg, list) else arg.split(".")[0]
        return None

    def render(self, value: Any, concern: str) -> Any:
        if isinstance(value, str):
            return value.replace(f":secret:{self.stack_secret_prefix}/",
                                 f":secret:{self.local.secret_prefix}/")
        if isinstance(value, list):
            return [self.render(v, concern) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1 or not (next(iter(value)) == "Ref" or next(iter(value)).startswith("Fn::")):
            return {k: self.render(v, concern) for k, v in value.items()}
        (fn, arg), = value.items()
        if fn == "Ref":
            return self.pseudo(arg) if arg in _PSEUDO else self._attribute(concern, arg, "Ref")
        if fn == "Fn::GetAtt":
            logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self._attribute(concern, logical_id, attribute)
        if fn == "Fn::ImportValue":
            name = self.render(arg, concern)
            if name not in self.exports:
                raise LookupError(f"{concern}: imports {name}, which no stack exports")
            producer, exported = self.exports[name]
            return self.render(exported, producer)
        if fn == "Fn::Join":
            separator, parts = arg
            return self.render(separator, concern).join(str(self.render(p, concern)) for p in parts)
        if fn == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else arg
            return self._sub(text, {k: self.render(v, concern) for k, v in variables.items()},
                             concern)
        raise ValueError(f"{concern}: {fn} is not rendered locally ({value!r})")

    def _sub(self, text: str, variables: dict[str, str], concern: str) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if name in _PSEUDO:
                return self.pseudo(name)
            logical_id, _, attribute = name.partition(".")
            return self._attribute(concern, logical_id, attribute or "Ref")

        return self.render(re.sub(r"\$\{([^}]+)\}", one, text), concern)

    def _attribute(self, concern: str, logical_id: str, attribute: str) -> str:
        resource = self.stacks[concern]["Resources"].get(logical_id)
        if resource is None:
            raise LookupError(f"{concern}: no resource {logical_id}")
        return self._arn(concern, logical_id, resource, attribute)

    def _arn(self, concern: str, logical_id: str, resource: dict, attribute: str) -> str:
        local, kind = self.local, resource["Type"]
        construct = resource.get("Metadata", {}).get("aws:cdk:path", "").split("/")[1:2]
        where = f"{concern}/{logical_id} ({kind}, {attribute})"

        def arn(service: str, rest: str) -> str:
            return f"arn:aws:{service}:{local.region}:{local.account}:{rest}"

        if kind == "AWS::DynamoDB::Table":
            if not construct or construct[0] not in local.tables:
                raise LookupError(f"{where}: no pynamodb model named {construct} has a local table")
            name = local.tables[construct[0]]
            return {"Arn": arn("dynamodb", f"table/{name}"), "Ref": name}[attribute]
        if kind == "AWS::SQS::Queue":
            if not construct or construct[0] not in local.queues:
                raise LookupError(f"{where}: no QueueSpec matches the construct {construct}")
            name = local.queues[construct[0]]
            return {"Arn": f"arn:aws:sqs:{local.region}:{local.account}:{name}",
                    "QueueName": name}[attribute]
        if kind == "AWS::KMS::Key" and attribute == "Arn":
            if (concern, logical_id) == self.secrets_key and local.secrets_key_arn:
                return local.secrets_key_arn
            return arn("kms", f"key/not-local-{logical_id}")
        if kind == "AWS::Logs::LogGroup" and attribute == "Arn":
            # Lambda and ECS write the logs in AWS; locally they go to files.
            return arn("logs", f"log-group:not-local-{logical_id}:*")
        if attribute in ("Arn", "Ref"):
            # Nothing of this kind is provisioned locally, so no local request may match it.
            return arn(kind.split("::")[1].lower(), f"not-local/{logical_id}")
        raise LookupError(f"{where}: no local counterpart is known; name it in "
                          "devstack/runtime_policies.py (Renderer._arn)")


def local_policies(stacks: dict[str, dict] | None = None,
                   local: Local | None = None) -> dict[str, list[tuple[str, dict]]]:
    """runtime -> [(policy name, document)], with local ARNs (see the module docstring)."""
    stacks = templates() if stacks is None else stacks
    local = Local.here() if local is None else local
    rendered = {}
    for runtime in RUNTIMES:
        role = find_role(stacks, runtime)
        renderer = Renderer(stacks, local, role)
        rendered[runtime] = [(name, renderer.render(document, role.concern))
                             for name, document in role_policies(stacks[role.concern],
                                                                 role.logical_id)]
    return rendered


if __name__ == "__main__":
    if sys.argv[1:2] != ["--synth"] or len(sys.argv) != 3:
        sys.exit("usage: python -m devstack.runtime_policies --synth OUTDIR")
    _synthesize_into(sys.argv[2])
