"""Every environment the CDK app deploys gets the public-targets-only policy, and the VPC it
builds is the one the runtimes refuse as a target."""

from __future__ import annotations

from infra.cdk.environments import ENVIRONMENTS
from smartalex.domain.targets import networks, policy_for_stage


def test_every_cdk_environment_is_a_deployed_stage():
    for environment in ENVIRONMENTS.values():
        assert policy_for_stage(environment.stage).public_only, environment.name


def test_the_runtimes_are_told_the_vpc_they_run_in(env):
    (vpc,) = env.resources("Edge", "AWS::EC2::VPC").values()
    api = env.json("Api")["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]

    assert vpc["Properties"]["CidrBlock"] == env.settings.vpc_cidr
    assert networks(api["SMARTALEX_VPC_CIDRS"].split(",")) == networks([env.settings.vpc_cidr])
