"""SIP passwords: a KMS key, and who may do what under `<SMARTALEX_SECRET_PREFIX>/*`.

The secrets themselves are created at run time by the API (one per trunk, see
smartalex/adapters/secrets.py), so this stack only owns the key and hands out two grants:
the API manages secrets, the edge only reads them.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ..environments import Environment
from ..nag import acknowledge, arn_finding

# What SecretsManagerStore calls: put_secret_value, then create_secret if missing;
# get_secret_value (the API reads the old password to roll an update back); delete_secret.
MANAGE_ACTIONS = ("secretsmanager:CreateSecret", "secretsmanager:PutSecretValue",
                  "secretsmanager:GetSecretValue", "secretsmanager:DeleteSecret")
READ_ACTIONS = ("secretsmanager:GetSecretValue",)


class SecretsStack(Stack):
    def __init__(self, scope: Construct, id: str, *, settings: Environment, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.prefix = settings.secret_prefix
        self.key = kms.Key(self, "SipSecretsKey", description="SmartAlex SIP trunk passwords",
                           enable_key_rotation=True, removal_policy=settings.removal_policy)

    def secret_arns(self, grantee: iam.IGrantable) -> str:
        """Every secret under the prefix. Secrets Manager appends `-XXXXXX` to secret ARNs,
        hence the trailing wildcard; built in the grantee's stack to avoid an export."""
        return Stack.of(grantee.grant_principal).format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{self.prefix}/*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME)

    def _grant(self, grantee: iam.IGrantable, secret_actions: tuple[str, ...],
               key_actions: tuple[str, ...]) -> None:
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            actions=list(secret_actions), resources=[self.secret_arns(grantee)]))
        stack = Stack.of(grantee.grant_principal)
        tail = f"secretsmanager:{{region}}:{{account}}:secret:{self.prefix}/*"
        acknowledge(grantee.grant_principal,
                    f"AwsSolutions-IAM5[Resource::{arn_finding(stack, tail)}]",
                    "One secret per trunk is created at run time under this prefix; the "
                    "wildcard covers exactly that prefix (and the ARN's random suffix).")
        # Only through Secrets Manager: the key cannot be used directly to decrypt anything.
        region = Stack.of(grantee.grant_principal).region
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            actions=list(key_actions), resources=[self.key.key_arn],
            conditions={"StringEquals": {
                "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}))

    def grant_manage(self, grantee: iam.IGrantable) -> None:
        """The API: create, overwrite, read back and delete trunk passwords."""
        self._grant(grantee, MANAGE_ACTIONS, ("kms:GenerateDataKey", "kms:Decrypt"))

    def grant_read(self, grantee: iam.IGrantable) -> None:
        """The edge: read a trunk's password to register; nothing else."""
        self._grant(grantee, READ_ACTIONS, ("kms:Decrypt",))
