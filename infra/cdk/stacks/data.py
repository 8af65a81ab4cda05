"""DynamoDB tables, built from the pynamodb models' own schema (`table_specs()`), never re-typed.

Physical names are left to CloudFormation: the runtime gets them through environment variables
(infra/cdk/contract.py), and generated names let a RETAINed table survive a stack re-create.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from smartalex.adapters.dynamodb.schema import IndexSpec, TableSpec, table_specs

from ..environments import Environment
from ..nag import acknowledge

_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER,
          "B": dynamodb.AttributeType.BINARY}
# What each runtime may do with which table (by pynamodb model): least privilege, no Scan, batch
# writes only where a runtime deletes in bulk. Extend here when a runtime starts using a table
# or an operation (AccessDenied in AWS otherwise; the local endpoint enforces these policies
# too, devstack/identities.py, so the tests fail the same way).
READ = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:DescribeTable")
# API: CRUD with conditional writes and transactions (TransactWriteItems needs the per-item
# actions), listings by index, on every table.
API_ACTIONS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
               "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
               "dynamodb:DescribeTable")
API_ACCESS = {spec.model: API_ACTIONS for spec in table_specs()}
# A trunk is held until its edge's lease expires, and one no edge holds waits for an edge with
# room (fleet-index lists the edges, each lease item says its room): the API reads edge leases,
# never writes them.
API_ACCESS["EdgeLeaseModel"] = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
                                "dynamodb:DescribeTable")
# Deleting a trunk deletes its directory, 25 entries per BatchWriteItem
# (DynamoDirectoryRepository.remove_all).
API_ACCESS["DirectoryEntryModel"] = (*API_ACTIONS, "dynamodb:BatchWriteItem")
# Edge-events handler: registration status (find = GetItem, record = conditional UpdateItem);
# call and error records from edge messages (conditional PutItem, idempotent by sort key).
HANDLER_ACCESS = {
    "TrunkModel": ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DescribeTable"),
    "EdgeLeaseModel": ("dynamodb:BatchGetItem",),  # a trunk read with its lease's expiry
    "CallRecordModel": (*READ, "dynamodb:PutItem"),
    "ErrorRecordModel": (*READ, "dynamodb:PutItem"),
    # A call is filed on its DID's line when it came through a bound number.
    "PhoneNumberModel": READ,
}
# Edge (adapters/dynamodb/leases.py): its own lease item (PutItem a new one, UpdateItem to renew
# or finish, BatchGetItem every lease listed by fleet-index to find dead edges, DeleteItem a
# long-dead one); trunks claimed and handed back with conditional UpdateItem, found on
# holder-index, and re-read every poll in one BatchGetItem; reads the agents, the directory and
# the bound numbers of the trunks it holds.
EDGE_ACCESS = {
    "EdgeLeaseModel": (*READ, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                       "dynamodb:BatchGetItem"),
    "TrunkModel": (*READ, "dynamodb:UpdateItem", "dynamodb:BatchGetItem"),
    "AgentModel": READ,
    "DirectoryEntryModel": READ,
    "PhoneNumberModel": READ,  # routing calls by bound DID
    # Registration claims (one trunk per PBX extension, adapters/dynamodb/registration_claims.py):
    # conditional updates in one transaction, conditional deletes.
    "ClaimModel": ("dynamodb:UpdateItem", "dynamodb:DeleteItem"),
}
_PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY}


def _attribute(key: tuple[str, str] | None) -> dynamodb.Attribute | None:
    return dynamodb.Attribute(name=key[0], type=_TYPES[key[1]]) if key else None


def _projection(index: IndexSpec) -> dynamodb.ProjectionType:
    if index.projection not in _PROJECTIONS:
        # INCLUDE would need the non-key attribute list, which IndexSpec does not carry yet.
        raise ValueError(f"GSI {index.name}: projection {index.projection} is not supported")
    return _PROJECTIONS[index.projection]


class DataStack(Stack):
    def __init__(self, scope: Construct, id: str, *, settings: Environment, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.settings = settings
        self.key = self._create_key() if settings.tables_cmk else None
        # By pynamodb model name (TableSpec.model), e.g. "TrunkModel".
        self.tables: dict[str, dynamodb.Table] = {
            spec.model: self._create_table(spec) for spec in table_specs()}

    def grant_access(self, grantee: iam.IGrantable, access: dict[str, tuple[str, ...]]) -> None:
        for model, actions in access.items():
            self.grant(grantee, model, actions)

    def grant(self, grantee: iam.IGrantable, model: str, actions: tuple[str, ...]) -> None:
        """`actions` on one table and its indexes, each named (no `index/*`), plus the table
        key through DynamoDB only."""
        table = self.tables[model]
        indexes = next(spec.indexes for spec in table_specs() if spec.model == model)
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            actions=list(actions),
            resources=[table.table_arn,
                       *(f"{table.table_arn}/index/{index.name}" for index in indexes)]))
        if self.key:
            region = Stack.of(grantee.grant_principal).region
            grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}},
            ))

    def _create_key(self) -> kms.Key:
        return kms.Key(self, "TablesKey", description="SmartAlex DynamoDB tables",
                       enable_key_rotation=True, removal_policy=self.settings.removal_policy)

    def _create_table(self, spec: TableSpec) -> dynamodb.Table:
        s = self.settings
        encryption = ({"encryption": dynamodb.TableEncryption.CUSTOMER_MANAGED,
                       "encryption_key": self.key} if self.key else
                      {"encryption": dynamodb.TableEncryption.AWS_MANAGED})
        table = dynamodb.Table(
            self, spec.model,
            partition_key=_attribute(spec.hash_key),
            sort_key=_attribute(spec.range_key),
            # Traffic is spiky (edge restarts re-register every trunk at once) and small on
            # average: on-demand costs nothing idle and needs no capacity planning.
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=s.point_in_time_recovery),
            deletion_protection=s.deletion_protection,
            time_to_live_attribute=spec.ttl_attribute,
            removal_policy=s.removal_policy,
            **encryption,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.hash_key),
                sort_key=_attribute(index.range_key),
                projection_type=_projection(index),
            )
        if not s.point_in_time_recovery:
            acknowledge(table, "AwsSolutions-DDB3",
                        f"{s.name} holds throwaway data; PITR is on in staging and prod "
                        "(infra/cdk/environments.py).")
        return table
