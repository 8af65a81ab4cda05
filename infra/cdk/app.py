"""The CDK app: `cdk synth -c env=dev|staging|prod` (cdk.json runs `python -m infra.cdk.app`).

One environment per synth, eight stacks named `SmartAlex-<env>-<Concern>`. Stateful resources
(tables, queues, keys) live in their own stacks so compute stacks can be replaced freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import App, Environment as CdkEnvironment, Stack, Tags

from . import contract, nag
from .environments import Environment, resolve
from .stacks.api import CONTROL_DIR, ApiStack
from .stacks.console import ConsoleStack
from .stacks.data import DataStack
from .stacks.edge import EdgeStack
from .stacks.functions import FunctionsStack
from .stacks.messaging import MessagingStack
from .stacks.observability import ObservabilityStack
from .stacks.secrets import SecretsStack


@dataclass
class SmartAlex:
    """The stacks of one environment (tests reach into them)."""

    settings: Environment
    observability: ObservabilityStack
    data: DataStack
    messaging: MessagingStack
    secrets: SecretsStack
    console: ConsoleStack
    api: ApiStack
    functions: FunctionsStack
    edge: EdgeStack

    @property
    def stacks(self) -> list[Stack]:
        return [self.observability, self.data, self.messaging, self.secrets, self.console,
                self.api, self.functions, self.edge]


def build(app: App, settings: Environment, control_dir: Path = CONTROL_DIR) -> SmartAlex:
    env = (CdkEnvironment(account=settings.account, region=settings.region)
           if settings.account or settings.region else None)

    def name(concern: str) -> str:
        return f"SmartAlex-{settings.name}-{concern}"

    common = {"settings": settings, "env": env}
    observability = ObservabilityStack(app, name("Observability"), **common)
    data = DataStack(app, name("Data"), **common)
    messaging = MessagingStack(app, name("Messaging"), alarm_action=observability.alarm_action,
                               **common)
    secrets = SecretsStack(app, name("Secrets"), **common)
    runtime_env = contract.runtime_environment(settings.stage, secrets.prefix, secrets.key.key_arn,
                                               data.tables, messaging.queues,
                                               (settings.vpc_cidr,), settings.tenant_quotas)
    console = ConsoleStack(app, name("Console"), **common)
    edge = EdgeStack(app, name("Edge"), data=data, secrets=secrets, queues=messaging.queues,
                     runtime_env=runtime_env, alarm_topic=observability.topic, **common)
    # The API shows the edges' Elastic IP pool on every trunk and in the Connecting hint the
    # edge-events handler writes: a reference to the Edge stack's addresses, which deploys first.
    runtime_env = {**runtime_env, contract.EDGE_PUBLIC_ADDRESSES: edge.public_addresses}
    api = ApiStack(app, name("Api"), data=data, secrets=secrets, console=console,
                   runtime_env=runtime_env, source_dir=control_dir, **common)
    functions = FunctionsStack(app, name("Functions"), data=data, queues=messaging.queues,
                               runtime_env=runtime_env, **common)
    result = SmartAlex(settings, observability, data, messaging, secrets, console, api,
                       functions, edge)
    for stack in result.stacks:
        Tags.of(stack).add("project", "smartalex")
        Tags.of(stack).add("environment", settings.name)
    return result


# Feature flags, here rather than in cdk.json so in-process tests synthesize the same
# templates as the CLI.
CONTEXT = {
    # Say it explicitly (CDK warns otherwise): cross-stack references are CloudFormation
    # exports, and a producer stack cannot drop an output a consumer still imports.
    "@aws-cdk/core:defaultCrossStackReferences": "strong",
    # CDK's built-in CloudFormation schema validation: findings fail the synth instead of
    # being printed as warnings. (It costs ~8 s per synth; in-process tests turn it off with
    # builtin_cloud_formation_validation=False, the CLI gate keeps it.)
    "@aws-cdk/core:validateAgainstDefaultRules": True,
}


def new_app(**kwargs) -> App:
    return App(context={**CONTEXT, **kwargs.pop("context", {})}, **kwargs)


def main() -> None:
    app = new_app()
    settings = resolve(app.node.try_get_context("env"), app.node.try_get_context("alarm_email"))
    nag.enable(app)
    build(app, settings)
    app.synth()


if __name__ == "__main__":
    main()
