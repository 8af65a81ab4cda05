"""cdk-nag (AwsSolutions) and the one way to acknowledge a finding: always with a reason.

cdk-nag 3.x runs as a CDK policy-validation plugin (`Validations.of(app).add_plugins`); the
v2 `Aspects.of(app).add(...)`/`NagSuppressions` API is gone. Each finding is acknowledged on
the construct that raised it (or a parent), one id per finding, e.g.
`AwsSolutions-IAM5[Resource::*]`.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Stack, Token, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def enable(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    if len(reason.strip()) < 20:
        raise ValueError(f"{rule_id}: give a real reason for acknowledging a cdk-nag finding")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def arn_finding(stack: Stack, arn_tail: str) -> str:
    """The text cdk-nag reports for `arn:<partition>:<arn_tail>` in `stack`, where an
    environment-agnostic stack shows pseudo parameters as `<AWS::Region>` etc.

    `arn_tail` may contain `{region}` and `{account}`.
    """
    def show(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    partition = show(stack.partition, "Partition")
    return f"arn:{partition}:" + arn_tail.format(region=show(stack.region, "Region"),
                                                 account=show(stack.account, "AccountId"))
