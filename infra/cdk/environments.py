"""Every per-environment setting, in one place. `cdk synth -c env=dev|staging|prod` picks one.

Nothing else in infra/cdk branches on the environment's name: stacks read these fields.
Sizes are deliberately small; docs/deploy.md prices them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

from smartalex.domain.quotas import Quotas
from smartalex.domain.edge_addresses import RTP_PORT_FIRST, RTP_PORT_LAST


@dataclass(frozen=True)
class Environment:
    name: str  # also SMARTALEX_STAGE, the secret prefix's middle part and the stack-name prefix
    # None: environment-agnostic stacks that deploy to the CLI's account/region. Setting them
    # makes CDK look availability zones up at synth time (needs AWS credentials, or
    # cdk.context.json committed).
    account: str | None
    region: str | None
    # Data: DESTROY lets a dev stack be torn down; RETAIN keeps tables when a stack is deleted.
    removal_policy: RemovalPolicy
    point_in_time_recovery: bool
    deletion_protection: bool
    # True: customer-managed KMS key for the tables ($1/month/key); False: AWS-owned/managed.
    tables_cmk: bool
    log_retention: logs.RetentionDays
    # Alarm notifications; None: the SNS topic exists without a subscription.
    alarm_email: str | None
    registration_failures_per_5min: int  # alarm threshold over the whole fleet
    # Edge (ECS on EC2, host networking, one task per instance).
    edge_instance_type: str
    edge_min_tasks: int
    # Also the size of the Elastic IP pool PBX admins allowlist: one address per instance.
    edge_max_tasks: int
    # pjsua2 worker processes per task (edge/settings.py SMARTALEX_EDGE_WORKERS); each worker
    # listens on its own SIP port pair, so this also sizes the security group's SIP range.
    edge_workers: int
    # Registrations each worker holds (SMARTALEX_EDGE_TRUNKS_PER_WORKER); a task holds
    # edge_workers × this.
    edge_trunks_per_worker: int
    edge_memory_mib: int
    # Scale out when the fleet's average share of registration capacity in use exceeds this.
    edge_target_capacity_used: float
    # Who may reach SIP/RTP. Customer PBXs sit anywhere on the internet; narrow per tenant
    # network if all PBXs of an environment are known (e.g. staging's test PBX).
    sip_allowed_cidrs: tuple[str, ...]
    # The edge's VPC. Runtimes refuse trunk domains and agent URLs inside it
    # (SMARTALEX_VPC_CIDRS, smartalex/domain/targets.py).
    vpc_cidr: str
    container_insights: bool
    # Edge-events handler (SQS -> Lambda).
    handler_max_concurrency: int  # event source mapping cap (2..1000)
    handler_reserved_concurrency: int | None  # None: leave the account pool alone
    # API Gateway stage throttling (requests/s and burst), across all tenants.
    api_rate_limit: int
    api_burst_limit: int
    # WAF rate-based rules, requests per 5 minutes: per Authorization header (a signed-in
    # session) and per source address (stacks/api_protection.py says why these).
    api_requests_per_token_per_5min: int
    api_requests_per_ip_per_5min: int
    cognito_mfa_required: bool
    # Per-tenant quotas (SMARTALEX_QUOTA_* on the runtimes): the defaults fit a real office.
    tenant_quotas: Quotas

    @property
    def stage(self) -> str:
        return self.name

    @property
    def secret_prefix(self) -> str:
        """Same default as smartalex.adapters.names.secret_prefix() for this stage."""
        return f"smartalex/{self.name}/trunks"

    def cognito_domain_prefix(self, account: str) -> str:
        """The user pool's hosted UI domain prefix (unique per region, so the account is in
        it; Cognito forbids "aws", "amazon" and "cognito" in it)."""
        return f"smartalex-{self.name}-{account}"

    @property
    def sip_port_base(self) -> int:
        return SIP_PORT_BASE

    @property
    def sip_port_range(self) -> tuple[int, int]:
        """Worker i listens on base+2i (UDP and TCP) and base+2i+1 (TLS): edge/settings.py."""
        return SIP_PORT_BASE, SIP_PORT_BASE + 2 * self.edge_workers - 1


SIP_PORT_BASE = 5060
# The edge's media ports (smartalex/domain/edge_addresses.py is the one definition).
RTP_PORT_RANGE = (RTP_PORT_FIRST, RTP_PORT_LAST)

_DEV = Environment(
    name="dev",
    account=None,
    region=None,
    removal_policy=RemovalPolicy.DESTROY,
    point_in_time_recovery=False,
    deletion_protection=False,
    tables_cmk=False,
    log_retention=logs.RetentionDays.ONE_WEEK,
    alarm_email=None,
    registration_failures_per_5min=50,
    edge_instance_type="t3.small",
    edge_min_tasks=1,
    edge_max_tasks=2,
    edge_workers=4,
    edge_trunks_per_worker=250,
    edge_memory_mib=1024,
    edge_target_capacity_used=0.75,
    sip_allowed_cidrs=("0.0.0.0/0",),
    vpc_cidr="10.40.0.0/16",
    container_insights=False,
    handler_max_concurrency=2,
    handler_reserved_concurrency=None,
    api_rate_limit=20,
    api_burst_limit=40,
    api_requests_per_token_per_5min=600,   # 2/s sustained: a console and a script
    api_requests_per_ip_per_5min=1500,     # an office behind one NAT address
    cognito_mfa_required=False,
    tenant_quotas=Quotas(),
)

ENVIRONMENTS: dict[str, Environment] = {
    "dev": _DEV,
    "staging": replace(
        _DEV,
        name="staging",
        point_in_time_recovery=True,
        log_retention=logs.RetentionDays.ONE_MONTH,
        alarm_email="smartalex-staging-alarms@example.com",  # replace before the first deploy
        edge_instance_type="t3.medium",
        container_insights=True,
        handler_max_concurrency=5,
        api_rate_limit=50,
        api_burst_limit=100,
    ),
    "prod": replace(
        _DEV,
        name="prod",
        removal_policy=RemovalPolicy.RETAIN,
        point_in_time_recovery=True,
        deletion_protection=True,
        tables_cmk=True,
        log_retention=logs.RetentionDays.THREE_MONTHS,
        alarm_email="smartalex-oncall@example.com",  # replace before the first deploy
        registration_failures_per_5min=200,
        edge_instance_type="c6i.large",
        edge_min_tasks=2,
        edge_max_tasks=4,
        # 4 × 250 = 1,000 registrations and 4 × 50 = 200 calls per c6i.large (2 vCPU, 4 GiB),
        # from the measured per-task capacity (docs/measurements/edge-capacity.md): 1,000
        # registrations held in 444 MiB PSS (of the task's 2 GiB reservation) and a third of a
        # core with each registration's refresh (120 s there), OPTIONS keepalive (20 s, each
        # trunk at a PBX of its own: the worst case) and bindings check (25 s) going; 200
        # calls at about 0.5 % of a core each take about one more core, which leaves the task
        # about two thirds of a core for calls bunching on one worker and for restarts.
        edge_workers=4,
        edge_memory_mib=2048,
        container_insights=True,
        handler_max_concurrency=10,
        handler_reserved_concurrency=10,
        api_rate_limit=200,
        api_burst_limit=400,
        api_requests_per_token_per_5min=1500,
        api_requests_per_ip_per_5min=3000,
        cognito_mfa_required=True,
    ),
}


def resolve(name: str | None, alarm_email: str | None = None) -> Environment:
    """The named environment; `-c alarm_email=...` overrides its alarm address."""
    if name not in ENVIRONMENTS:
        raise SystemExit(f"Pick an environment: cdk synth -c env=<{'|'.join(ENVIRONMENTS)}> "
                         f"(got {name!r}).")
    env = ENVIRONMENTS[name]
    if alarm_email:
        env = replace(env, alarm_email=alarm_email)
    return env
