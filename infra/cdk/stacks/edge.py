"""The SIP edge: ECS on EC2, host networking, one edge task per instance, a fixed pool of
Elastic IPs.

Why this shape:
- PBX admins allowlist our addresses (and some PBXs only accept REGISTERs from known IPs), so
  the public address of every edge must be stable and known in advance. The stack allocates a
  pool of Elastic IPs, one per possible instance (`edge_max_tasks`); an instance claims a free
  one at boot, before the ECS agent starts. The pool is the allowlist, and it does not change
  when instances are replaced or the fleet scales.
- SIP and RTP need many ports and the real addresses on the wire: host networking (no
  Docker NAT, no load balancer in the path; an NLB cannot carry RTP's 10,000 ports with
  symmetric source addresses). Host networking means one task per instance, which the
  `distinctInstance` placement constraint enforces.
- Scaling follows registrations wanted over registrations held capacity (published by the
  edges: edge/control.py), not CPU: an edge is "full" when its pjsua2 workers hold all the
  registrations they are given (`edge_workers × edge_trunks_per_worker`, edge/placement.py),
  long before its CPU is busy.
- Draining: ECS sends SIGTERM to `python -m edge` (exec-form ENTRYPOINT) and waits stopTimeout
  (120 s) before SIGKILL. The supervisor un-registers at once and releases each lease as soon as
  the PBX has the un-REGISTER, so other edges pick the trunks up within seconds; calls in
  progress get CALL_DRAIN_SECONDS to end, then are hung up (20 s of the rest is the edge's own
  graceful stop, 10 s margin).
  Managed termination protection keeps the ASG from terminating instances that still run a
  task, and managed draining stops the task before ASG scale-in.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import CfnOutput, CfnTag, Duration, Fn, Size, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from smartalex.adapters.queues import QUEUES

from .. import contract
from ..bundling import REPO
from ..environments import RTP_PORT_RANGE, Environment
from ..nag import acknowledge
from .data import EDGE_ACCESS, DataStack
from .observability import edge_metric
from .secrets import SecretsStack

# The edge image's user (edge/Dockerfile). The instance blocks the metadata service for this
# uid: the container parses internet traffic and must not borrow the instance role.
EDGE_UID = 10001
# User data writes the claimed Elastic IP here; the container sees it read-only.
HOST_INFO_DIR = "/var/lib/smartalex"
CONTAINER_INFO_DIR = "/run/smartalex"
PUBLIC_ADDRESS_FILE = f"{CONTAINER_INFO_DIR}/public-ipv4"
CALL_DRAIN_SECONDS = 90
STOP_TIMEOUT = Duration.seconds(120)
HEALTH_COMMAND = ["CMD", "python", "-m", "edge.health"]
POOL_TAG = "smartalex:edge-pool"

_CLAIM_ADDRESS = r"""
# Claim a free Elastic IP of this environment's pool before the ECS agent starts (it starts
# after cloud-init), so the edge never registers from an address PBX admins do not know.
claim_address() {{
  local token iid region pair alloc ip
  token=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
  iid=$(curl -sf -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)
  region=$(curl -sf -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/placement/region)
  command -v aws >/dev/null || dnf install -y -q awscli-2
  for attempt in $(seq 1 60); do
    for pair in {pool}; do
      alloc=${{pair%%=*}}; ip=${{pair#*=}}
      if aws ec2 associate-address --region "$region" --instance-id "$iid" \
           --allocation-id "$alloc" --no-allow-reassociation >/dev/null 2>&1; then
        mkdir -p {host_dir} && echo "$ip" > {host_dir}/public-ipv4
        echo "smartalex: claimed $ip ($alloc)"
        return 0
      fi
    done
    sleep 10
  done
  return 1
}}
if ! claim_address; then
  echo "smartalex: no free address in the edge pool; stopping so the ASG replaces me" >&2
  shutdown -h now
fi
# Host networking shares the instance's network namespace: block the metadata service (and so
# the instance role) for the edge's uid. Task credentials come from 169.254.170.2 instead.
iptables -I OUTPUT -d 169.254.169.254/32 -m owner --uid-owner {uid} -j REJECT
"""


class EdgeStack(Stack):
    def __init__(self, scope: Construct, id: str, *, settings: Environment, data: DataStack,
                 secrets: SecretsStack, queues: Mapping[str, sqs.IQueue],
                 runtime_env: Mapping[str, str], alarm_topic: sns.ITopic, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.settings = settings
        self.vpc = self._create_vpc()
        self.addresses = self._create_address_pool()
        self.security_group = self._create_security_group()
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=self.vpc,
            container_insights_v2=(ecs.ContainerInsights.ENABLED if settings.container_insights
                                   else ecs.ContainerInsights.DISABLED))
        self.capacity = self._create_capacity(alarm_topic)
        self.public_addresses = Fn.join(",", [a.ref for a in self.addresses])
        self.task_definition, self.container = self._create_task_definition(
            {**runtime_env, contract.EDGE_PUBLIC_ADDRESSES: self.public_addresses})
        self.service = self._create_service()
        self._grant(data, secrets, queues)
        self._acknowledge()

    # -- network ---------------------------------------------------------------------------
    def _create_vpc(self) -> ec2.Vpc:
        # Public subnets only: every edge has a public address anyway, so NAT gateways
        # (~$32/month each) would buy nothing.
        vpc = ec2.Vpc(self, "Vpc", max_azs=2, nat_gateways=0,
                      ip_addresses=ec2.IpAddresses.cidr(self.settings.vpc_cidr),
                      subnet_configuration=[ec2.SubnetConfiguration(
                          name="edge", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24)])
        # Free, and keeps DynamoDB traffic off the internet gateway.
        vpc.add_gateway_endpoint("DynamoDb", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB)
        # Rejected traffic only: that is what answers "why does the PBX not reach us?";
        # accepted RTP flows would cost far more to log.
        flow_logs = logs.LogGroup(self, "RejectedFlowLogs", retention=self.settings.log_retention,
                                  removal_policy=self.settings.removal_policy)
        vpc.add_flow_log("RejectedFlows", traffic_type=ec2.FlowLogTrafficType.REJECT,
                         destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs))
        return vpc

    def _create_address_pool(self) -> list[ec2.CfnEIP]:
        pool = []
        for index in range(1, self.settings.edge_max_tasks + 1):
            address = ec2.CfnEIP(self, f"EdgeAddress{index}", domain="vpc",
                                 tags=[CfnTag(key=POOL_TAG, value=self.settings.name)])
            # Retained with the data in prod: re-creating the stack must not change the
            # addresses every customer has allowlisted.
            address.apply_removal_policy(self.settings.removal_policy)
            pool.append(address)
        CfnOutput(self, "EdgePublicAddresses", value=Fn.join(",", [a.ref for a in pool]),
                  description="Allowlist these on the PBX (SIP and RTP source addresses)")
        return pool

    def _create_security_group(self) -> ec2.SecurityGroup:
        s = self.settings
        group = ec2.SecurityGroup(self, "SipSecurityGroup", vpc=self.vpc,
                                  description="SmartAlex edge: SIP and RTP only",
                                  allow_all_outbound=True)  # REGISTER to any PBX, AWS APIs
        sip_low, sip_high = s.sip_port_range
        rtp_low, rtp_high = RTP_PORT_RANGE
        for cidr in s.sip_allowed_cidrs:
            peer = ec2.Peer.ipv4(cidr)
            group.add_ingress_rule(peer, ec2.Port.udp_range(sip_low, sip_high),
                                   "SIP over UDP, one port pair per worker")
            group.add_ingress_rule(peer, ec2.Port.tcp_range(sip_low, sip_high),
                                   "SIP over TCP, and TLS on each pair's second port")
            group.add_ingress_rule(peer, ec2.Port.udp_range(rtp_low, rtp_high), "RTP/RTCP media")
        return group

    # -- capacity --------------------------------------------------------------------------
    def _create_capacity(self, alarm_topic: sns.ITopic) -> ecs.AsgCapacityProvider:
        s = self.settings
        pool = " ".join(f"{a.attr_allocation_id}={a.ref}" for a in self.addresses)
        user_data = ec2.UserData.for_linux()
        user_data.add_commands(_CLAIM_ADDRESS.format(pool=pool, host_dir=HOST_INFO_DIR,
                                                     uid=EDGE_UID))
        self.instance_role = iam.Role(
            self, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            # Session Manager instead of SSH: no port 22, audited shell for SIP debugging.
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                "AmazonSSMManagedInstanceCore")])
        self.instance_role.add_to_policy(iam.PolicyStatement(
            actions=["ec2:AssociateAddress"],
            resources=[*(self.format_arn(service="ec2", resource="elastic-ip",
                                         resource_name=a.attr_allocation_id)
                         for a in self.addresses),
                       self.format_arn(service="ec2", resource="instance", resource_name="*"),
                       self.format_arn(service="ec2", resource="network-interface",
                                       resource_name="*")]))
        template = ec2.LaunchTemplate(
            self, "EdgeLaunchTemplate",
            instance_type=ec2.InstanceType(s.edge_instance_type),
            machine_image=ecs.EcsOptimizedImage.amazon_linux2023(),
            role=self.instance_role,
            security_group=self.security_group,
            user_data=user_data,
            associate_public_ip_address=True,  # to boot and claim; replaced by the EIP
            require_imdsv2=True,
            detailed_monitoring=True,
            block_devices=[ec2.BlockDevice(device_name="/dev/xvda", volume=ec2.BlockDeviceVolume.ebs(
                30, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3))],
        )
        group = autoscaling.AutoScalingGroup(
            self, "EdgeInstances", vpc=self.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            launch_template=template,
            min_capacity=s.edge_min_tasks,
            # Never more instances than addresses: each one must hold an allowlisted EIP.
            max_capacity=s.edge_max_tasks,
            notifications=[autoscaling.NotificationConfiguration(topic=alarm_topic)],
        )
        provider = ecs.AsgCapacityProvider(
            self, "EdgeCapacity", auto_scaling_group=group,
            enable_managed_scaling=True, target_capacity_percent=100,
            enable_managed_termination_protection=True, enable_managed_draining=True)
        self.cluster.add_asg_capacity_provider(provider)
        self.auto_scaling_group = group
        return provider

    # -- task ------------------------------------------------------------------------------
    def _create_task_definition(self, runtime_env: Mapping[str, str]):
        s = self.settings
        task = ecs.Ec2TaskDefinition(self, "EdgeTask", network_mode=ecs.NetworkMode.HOST)
        task.add_volume(name="host-info", host=ecs.Host(source_path=HOST_INFO_DIR))
        log_group = logs.LogGroup(self, "EdgeLogs", retention=s.log_retention,
                                  removal_policy=s.removal_policy)
        container = task.add_container(
            "edge",
            image=ecs.ContainerImage.from_asset(
                str(REPO), file="edge/Dockerfile",
                platform=ecr_assets.Platform.LINUX_AMD64,  # the pjsua2 wheel is x86_64 only
            ),
            essential=True,
            memory_reservation_mib=s.edge_memory_mib,
            environment={
                **runtime_env,
                # Explicit: ECS on EC2 does not promise these, and aws.region() needs one.
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                "SMARTALEX_EDGE_WORKERS": str(s.edge_workers),
                "SMARTALEX_EDGE_TRUNKS_PER_WORKER": str(s.edge_trunks_per_worker),
                "SMARTALEX_EDGE_SIP_PORT_BASE": str(s.sip_port_base),
                "SMARTALEX_EDGE_PUBLIC_ADDRESS_FILE": PUBLIC_ADDRESS_FILE,
                "SMARTALEX_EDGE_CALL_DRAIN_SECONDS": str(CALL_DRAIN_SECONDS),
                "POWERTOOLS_SERVICE_NAME": "edge",
                "POWERTOOLS_METRICS_NAMESPACE": contract.METRIC_NAMESPACE,
            },
            health_check=ecs.HealthCheck(command=HEALTH_COMMAND, interval=Duration.seconds(30),
                                         timeout=Duration.seconds(10), retries=3,
                                         start_period=Duration.seconds(60)),
            stop_timeout=STOP_TIMEOUT,
            # Non-blocking: a CloudWatch Logs hiccup must not stall the SIP event loop on a
            # full stdout pipe; the buffer absorbs bursts.
            logging=ecs.LogDrivers.aws_logs(stream_prefix="edge", log_group=log_group,
                                            mode=ecs.AwsLogDriverMode.NON_BLOCKING,
                                            max_buffer_size=Size.mebibytes(25)),
            # RTP sockets: two per call per worker, plus SIP TCP/TLS connections.
            ulimits=[ecs.Ulimit(name=ecs.UlimitName.NOFILE, soft_limit=65536, hard_limit=65536)],
        )
        container.add_mount_points(ecs.MountPoint(container_path=CONTAINER_INFO_DIR,
                                                  source_volume="host-info", read_only=True))
        return task, container

    def _create_service(self) -> ecs.Ec2Service:
        s = self.settings
        service = ecs.Ec2Service(
            self, "EdgeService", cluster=self.cluster, task_definition=self.task_definition,
            desired_count=s.edge_min_tasks,
            capacity_provider_strategies=[ecs.CapacityProviderStrategy(
                capacity_provider=self.capacity.capacity_provider_name, weight=1)],
            # Host networking binds fixed ports: two edges cannot share an instance.
            placement_constraints=[ecs.PlacementConstraint.distinct_instances()],
            # Start replacements on new instances first when the pool allows (200 %); else
            # replace half at a time (50 %). Trunks move via their leases either way.
            min_healthy_percent=50, max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
        )
        scaling = service.auto_scale_task_count(min_capacity=s.edge_min_tasks,
                                                max_capacity=s.edge_max_tasks)
        # Registrations wanted over registrations the fleet can hold (each edge reports its own
        # trunks and its share of those waiting for an edge: edge/control.py). Unlike the share
        # in use, it passes 1 when trunks wait, by as much as they do, so target tracking adds
        # as many edges as the waiting trunks need in one step. A new edge starts empty and
        # takes waiting trunks, so the average falls as capacity is added, which is what target
        # tracking assumes. Slow scale-in: removing an edge moves every trunk it holds.
        scaling.scale_to_track_custom_metric(
            "RegistrationDemand",
            metric=edge_metric(s, contract.REGISTRATION_DEMAND, "Average"),
            target_value=s.edge_target_capacity_used,
            scale_out_cooldown=Duration.minutes(3), scale_in_cooldown=Duration.minutes(20))
        return service

    # -- permissions -----------------------------------------------------------------------
    def _grant(self, data: DataStack, secrets: SecretsStack,
               queues: Mapping[str, sqs.IQueue]) -> None:
        role = self.task_definition.task_role
        data.grant_access(role, EDGE_ACCESS)
        secrets.grant_read(role)
        for spec in QUEUES:
            queues[spec.key].grant_send_messages(role)
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"], resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": contract.METRIC_NAMESPACE}}))

    def _acknowledge(self) -> None:
        s = self.settings
        acknowledge(self.security_group, "AwsSolutions-EC23",
                    "SIP/RTP must be reachable from customer PBXs anywhere on the internet "
                    "(their addresses are not known in advance), so the security group opens "
                    "only the SIP and RTP ports and the edge itself filters by source: a SIP "
                    "request outside the edge's dialogs is answered (403) or dropped unless it "
                    "comes from a held trunk's PBX addresses and names its extension; REFER is "
                    "never followed; challenges are answered only for the registrar's realm; "
                    "RTP/RTCP is taken only from the address the call's SDP named "
                    "(docs/registration.md, 'What the edge accepts').")
        acknowledge(self.task_definition, "AwsSolutions-ECS2",
                    "The variables are resource names and settings (the names.py contract); "
                    "the only secrets, SIP passwords, are read from Secrets Manager at run time.")
        acknowledge(self.task_definition.task_role, "AwsSolutions-IAM5[Resource::*]",
                    "cloudwatch:PutMetricData has no resource-level permissions; the statement "
                    "is restricted to the SmartAlex namespace by condition.")
        acknowledge(self.instance_role, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::"
                                        "aws:policy/AmazonSSMManagedInstanceCore]",
                    "Session Manager access to edge instances (no SSH), the AWS-maintained "
                    "minimum for it.")
        acknowledge(self.instance_role, "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:"
                                        "<AWS::Region>:<AWS::AccountId>:instance/*]",
                    "The instance claims a pool Elastic IP for itself at boot; its own id is "
                    "not known when the policy is written. The EIPs are listed one by one.")
        acknowledge(self.instance_role, "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:"
                                        "<AWS::Region>:<AWS::AccountId>:network-interface/*]",
                    "AssociateAddress also authorizes the instance's network interface, whose "
                    "id is not known in advance.")
        acknowledge(self.instance_role, "AwsSolutions-IAM5[Action::ecs:Submit*]",
                    "CDK's standard ECS container-instance policy (the agent reports task and "
                    "container state with ecs:Submit*), scoped to this cluster.")
        acknowledge(self.instance_role, "AwsSolutions-IAM5[Resource::*]",
                    "CDK's standard ECS container-instance policy: ecs:DiscoverPollEndpoint, "
                    "ecr:GetAuthorizationToken and logs/ecs calls that have no resource-level "
                    "permissions.")
        acknowledge(self.task_definition.execution_role, "AwsSolutions-IAM5[Resource::*]",
                    "ecr:GetAuthorizationToken has no resource-level permissions; image pulls "
                    "are limited to the asset repository.")
        if not s.container_insights:
            acknowledge(self.cluster, "AwsSolutions-ECS4",
                        f"Container Insights is off in {s.name} to save its per-metric cost; "
                        "the edge publishes its own capacity metrics.")
