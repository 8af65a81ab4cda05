"""The API stage is behind AWS WAF (managed rules and rate limits), and what API Gateway answers
by itself is in the product's error format and quotes nothing of the request."""

from __future__ import annotations

import json

from infra.cdk.stacks.api_protection import GATEWAY_RESPONSES, MANAGED_RULE_GROUPS


def _acl(env) -> dict:
    (acl,) = env.resources("Api", "AWS::WAFv2::WebACL").values()
    return acl["Properties"]


def test_the_stage_is_behind_a_regional_web_acl_with_the_managed_rule_groups(env):
    acl = _acl(env)
    managed = [r["Statement"]["ManagedRuleGroupStatement"] for r in acl["Rules"]
               if "ManagedRuleGroupStatement" in r["Statement"]]

    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    assert [(m["VendorName"], m["Name"]) for m in managed] == [
        ("AWS", "AWSManagedRulesAmazonIpReputationList"),
        ("AWS", "AWSManagedRulesKnownBadInputsRuleSet"),
        ("AWS", "AWSManagedRulesCommonRuleSet")] == [("AWS", n) for n in MANAGED_RULE_GROUPS]
    assert all(r["OverrideAction"] == {"None": {}} for r in acl["Rules"]
               if "ManagedRuleGroupStatement" in r["Statement"])
    priorities = [r["Priority"] for r in acl["Rules"]]
    assert len(set(priorities)) == len(priorities)


def test_requests_are_rate_limited_per_token_and_per_address(env):
    rules = {r["Name"]: r for r in _acl(env)["Rules"]}
    per_token = rules["RequestsPerToken"]["Statement"]["RateBasedStatement"]
    per_ip = rules["RequestsPerAddress"]["Statement"]["RateBasedStatement"]

    assert per_token["AggregateKeyType"] == "CUSTOM_KEYS"
    assert per_token["CustomKeys"] == [{"Header": {"Name": "authorization", "TextTransformations":
                                                   [{"Priority": 0, "Type": "NONE"}]}}]
    assert per_token["Limit"] == env.settings.api_requests_per_token_per_5min
    assert per_ip["AggregateKeyType"] == "IP"
    assert per_ip["Limit"] == env.settings.api_requests_per_ip_per_5min
    assert rules["RequestsPerToken"]["Action"] == rules["RequestsPerAddress"]["Action"] == {
        "Block": {}}


def test_the_web_acl_is_associated_with_the_chalice_stage(env):
    (association,) = env.resources("Api", "AWS::WAFv2::WebACLAssociation").values()
    (acl_id,) = [k.split("/")[1] for k in env.resources("Api", "AWS::WAFv2::WebACL")]
    arn = association["Properties"]["ResourceArn"]["Fn::Sub"]

    assert arn.endswith("::/restapis/${RestAPI}/stages/${RestAPI.Stage}")
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert "RestAPI" in env.json("Api")["Resources"]


def test_the_stage_is_still_throttled_as_a_whole(env):
    (settings,) = env.json("Api")["Resources"]["RestAPI"]["Properties"]["MethodSettings"]

    assert settings["ThrottlingRateLimit"] == env.settings.api_rate_limit
    assert settings["ThrottlingBurstLimit"] == env.settings.api_burst_limit


def test_gateway_responses_use_the_error_format_and_quote_nothing(env):
    definition = env.json("Api")["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = definition["x-amazon-apigateway-gateway-responses"]

    assert set(responses) == set(GATEWAY_RESPONSES) >= {
        "MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX", "WAF_FILTERED", "THROTTLED"}
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    assert responses["THROTTLED"]["statusCode"] == "429"
    for kind, response in responses.items():
        template = response["responseTemplates"]["application/json"]
        assert "$" not in template, kind  # no $context.error.message: it quotes the request
        error = json.loads(template)["error"]
        assert set(error) == {"code", "message", "field"} and error["field"] is None, kind
        assert response["responseParameters"]["gatewayresponse.header.Content-Type"] == \
            "'application/json'"
