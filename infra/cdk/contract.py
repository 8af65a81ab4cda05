"""The runtime contract: environment variables (smartalex/adapters/names.py reads them) and the
CloudWatch metrics the edge publishes. Stacks fill these in; nothing else crosses over."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sqs as sqs

from smartalex.adapters import metrics, names
from smartalex.adapters.dynamodb.schema import table_specs
from smartalex.adapters.queues import QUEUES
from smartalex.domain.quotas import Quotas


def table_env_vars() -> dict[str, str]:
    """pynamodb model -> the variable names.py reads its table name from.

    Read from the sources (`table_name = names.x_table()` in models.py, `def x_table(): return
    resource("SMARTALEX_X_TABLE", ...)` in names.py), not from the names computed at import,
    which depend on the process environment. A new table cannot miss its variable.
    """
    from smartalex.adapters.dynamodb import models

    functions = dict(re.findall(r'def (\w+)\(\)[^:]*:\s*(?:"""[^"]*"""\s*)?return resource\(\s*"(SMARTALEX_\w+)"',
                                Path(names.__file__).read_text()))
    tables = dict(re.findall(r"class (\w+)\(Model\):.*?table_name = names\.(\w+)\(\)",
                             Path(models.__file__).read_text(), flags=re.S))
    mapping = {}
    for spec in table_specs():
        function = tables.get(spec.model)
        if function not in functions:
            raise LookupError(f"{spec.model}: its table name does not come from a names.py "
                              "function returning resource(\"SMARTALEX_...\", ...)")
        mapping[spec.model] = functions[function]
    return mapping


STAGE = "SMARTALEX_STAGE"
SECRET_PREFIX = "SMARTALEX_SECRET_PREFIX"
# The KMS key new SIP secrets are created with (API only; names.secrets_kms_key()).
SECRETS_KMS_KEY = "SMARTALEX_SECRETS_KMS_KEY_ID"
# Our own networks, never a connection target (names.vpc_cidrs()).
VPC_CIDRS = "SMARTALEX_VPC_CIDRS"
# The edges' Elastic IP pool, for PBX admins to allow (names.edge_public_addresses()).
EDGE_PUBLIC_ADDRESSES = "SMARTALEX_EDGE_PUBLIC_ADDRESSES"
QUOTAS = names.QUOTA_VARIABLES  # Quotas field -> variable

# Metrics the edge publishes (cloudwatch:PutMetricData, namespace-restricted in IAM).
# The edge publishes these (smartalex/adapters/metrics.py is the one definition).
METRIC_NAMESPACE = metrics.NAMESPACE
METRIC_DIMENSION = metrics.DIMENSION  # value: SMARTALEX_STAGE
CAPACITY_USED = metrics.CAPACITY_USED
REGISTRATION_DEMAND = metrics.REGISTRATION_DEMAND
REGISTRATION_FAILURES = metrics.REGISTRATION_FAILURES


def queue_env_var(spec_env_var: str) -> tuple[str, str]:
    """(name variable, URL variable): the URL variable spares a GetQueueUrl at start."""
    return spec_env_var, f"{spec_env_var}_URL"


def runtime_environment(stage: str, secret_prefix: str, secrets_key_arn: str,
                        tables: Mapping[str, dynamodb.ITable],
                        queues: Mapping[str, sqs.IQueue],
                        vpc_cidrs: tuple[str, ...] = (),
                        quotas: Quotas = Quotas()) -> dict[str, str]:
    """The variables every runtime (API, handlers, edge) gets; `tables` by model name,
    `queues` by QueueSpec key. Only the API creates secrets with the key, but every runtime
    gets the whole contract: one list to check, nothing runtime-specific to forget."""
    env = {STAGE: stage, SECRET_PREFIX: secret_prefix, SECRETS_KMS_KEY: secrets_key_arn,
           VPC_CIDRS: ",".join(vpc_cidrs)}
    env.update({QUOTAS[name]: value for name, value in quotas.as_settings().items()})
    for model, var in table_env_vars().items():
        env[var] = tables[model].table_name
    for spec in QUEUES:
        name_var, url_var = queue_env_var(spec.env_var)
        env[name_var] = queues[spec.key].queue_name
        env[url_var] = queues[spec.key].queue_url
    return env
