"""The edge service: host networking, exact SIP/RTP ports, stable addresses, drain, health,
and scaling on the edge's own capacity metric."""

from __future__ import annotations

from edge.settings import EdgeSettings
from infra.cdk import contract
from infra.cdk.environments import RTP_PORT_RANGE
from infra.cdk.stacks.edge import EDGE_UID, HEALTH_COMMAND


def _one(env, type_: str) -> dict:
    (resource,) = env.resources("Edge", type_).values()
    return resource["Properties"]


def test_the_security_group_opens_exactly_sip_and_rtp(env):
    low, high = env.settings.sip_port_range
    assert low == 5060 and high == 5060 + 2 * env.settings.edge_workers - 1
    expected = {(cidr, proto, lo, hi) for cidr in env.settings.sip_allowed_cidrs
                for proto, lo, hi in (("udp", low, high), ("tcp", low, high),
                                      ("udp", *RTP_PORT_RANGE))}
    ingress = {(r["CidrIp"], r["IpProtocol"], r["FromPort"], r["ToPort"])
               for r in _one(env, "AWS::EC2::SecurityGroup")["SecurityGroupIngress"]}
    assert ingress == expected
    assert not env.resources("Edge", "AWS::EC2::SecurityGroupIngress")


def test_the_task_uses_host_networking_drains_and_checks_its_health(env):
    task = _one(env, "AWS::ECS::TaskDefinition")
    (container,) = task["ContainerDefinitions"]
    assert task["NetworkMode"] == "host" and task["RequiresCompatibilities"] == ["EC2"]
    assert container["StopTimeout"] == 120
    # Calls get their drain, the edge its own graceful stop, and both end before SIGKILL.
    environment = {v["Name"]: v["Value"] for v in container["Environment"]}
    drain = int(environment["SMARTALEX_EDGE_CALL_DRAIN_SECONDS"])
    assert drain >= 60 and drain + EdgeSettings().graceful_seconds < container["StopTimeout"]
    assert container["HealthCheck"]["Command"] == HEALTH_COMMAND == ["CMD", "python", "-m",
                                                                      "edge.health"]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"


def test_the_image_is_built_from_edge_dockerfile(env):
    import json

    manifest = json.loads(next(env.outdir.glob(f"SmartAlex-{env.name}-Edge.assets.json")).read_text())
    (image,) = manifest["dockerImages"].values()
    assert image["source"]["dockerFile"] == "edge/Dockerfile"
    assert image["source"].get("platform") == "linux/amd64"


def test_one_edge_per_instance_and_one_elastic_ip_per_instance(env):
    s = env.settings
    service = _one(env, "AWS::ECS::Service")
    assert service["PlacementConstraints"] == [{"Type": "distinctInstance"}]
    group = _one(env, "AWS::AutoScaling::AutoScalingGroup")
    assert int(group["MaxSize"]) == s.edge_max_tasks == len(env.resources("Edge", "AWS::EC2::EIP"))
    assert int(group["MinSize"]) == s.edge_min_tasks
    provider = _one(env, "AWS::ECS::CapacityProvider")["AutoScalingGroupProvider"]
    assert provider["ManagedScaling"]["Status"] == "ENABLED"
    assert provider["ManagedTerminationProtection"] == "ENABLED"
    outputs = env.json("Edge")["Outputs"]
    assert len(outputs["EdgePublicAddresses"]["Value"]["Fn::Join"][1]) == s.edge_max_tasks


def test_instances_claim_a_pool_address_and_hide_the_instance_role_from_the_edge(env):
    template = _one(env, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    user_data = str(template["UserData"])
    assert "associate-address" in user_data and "--no-allow-reassociation" in user_data
    assert f"--uid-owner {EDGE_UID}" in user_data
    assert template["MetadataOptions"]["HttpTokens"] == "required"


def test_scaling_follows_registrations_wanted_over_capacity_not_cpu(env):
    (policy,) = env.resources("Edge", "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    config = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    metric = config["CustomizedMetricSpecification"]
    assert metric["Namespace"] == contract.METRIC_NAMESPACE
    assert metric["MetricName"] == contract.REGISTRATION_DEMAND
    assert config["TargetValue"] == env.settings.edge_target_capacity_used
    assert metric["Dimensions"] == [{"Name": contract.METRIC_DIMENSION, "Value": env.name}]
    assert "PredefinedMetricSpecification" not in config


def test_registration_failures_alarm_notifies(env):
    alarms = [a["Properties"] for a in env.resources("Observability", "AWS::CloudWatch::Alarm").values()
              if a["Properties"].get("MetricName") == contract.REGISTRATION_FAILURES]
    (alarm,) = alarms
    assert alarm["Namespace"] == contract.METRIC_NAMESPACE and alarm["AlarmActions"]


def test_an_alarm_fires_when_trunks_wait_for_an_edge_or_no_edge_reports(env):
    alarms = [a["Properties"] for a in env.resources("Observability", "AWS::CloudWatch::Alarm").values()
              if a["Properties"].get("MetricName") == contract.REGISTRATION_DEMAND]
    (alarm,) = alarms
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1.0, "GreaterThanThreshold")
    assert alarm["TreatMissingData"] == "breaching" and alarm["AlarmActions"]
