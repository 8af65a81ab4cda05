"""What stands in front of the control API's stage: AWS WAF and API Gateway's own answers.

**Rate limits, and why these.** API Gateway usage plans throttle per API key, and a key is
whatever the client sends, not a tenant, so they are not used. The tenant is a claim inside the
Cognito JWT, which only the app can trust (WAF cannot verify or decode a token), so no rule in
front of the API can count per tenant exactly. What does limit, from the closest to a tenant
outward:
- a WAF rate-based rule keyed on the `Authorization` header: per signed-in session (an ID token
  lives 1 h; a fresh one is a fresh key, and Cognito limits how fast tokens are refreshed), so
  a tenant's budget is its few admins' sessions times the limit, and one runaway script or
  stolen token is cut off without touching the other tenants;
- a WAF rate-based rule per source IP, for floods that send no token (they still cost a Lambda
  invocation each, answered 401);
- the stage's throttling (environments.py api_rate_limit/api_burst_limit), the ceiling for all
  tenants together that protects Lambda concurrency and DynamoDB;
- per-tenant quotas in the app (smartalex/domain/quotas.py) bound what a tenant can store.
An exact per-tenant request rate would need a counter the app keeps per tenant (one more
DynamoDB write per request); not built until one tenant's admins could crowd out the others.

**Managed rules.** AWSManagedRulesAmazonIpReputationList (known bad sources),
AWSManagedRulesKnownBadInputsRuleSet (Log4j, exploit paths), AWSManagedRulesCommonRuleSet
(OWASP-style: bodies over 8 KB, XSS, LFI/RFI patterns, no User-Agent). A blocked request is
answered WAF_FILTERED: a 403 in the product's error format (below).

**Gateway Responses.** What API Gateway answers itself replaces its defaults, which quote the
request: the 403 "Missing Authentication Token" for an unknown path quotes the Authorization
header when one is sent ("'<token>' not a valid key=value pair ...", or a SHA-256 of it), and
DEFAULT_4XX/5XX carry `$context.error.messageString`. Every answer here is a fixed body in the
product's format `{"error": {"code", "message", "field"}}`; an unknown path is a 404.
"""

from __future__ import annotations

import json

from aws_cdk import Fn
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from ..environments import Environment

MANAGED_RULE_GROUPS = ("AWSManagedRulesAmazonIpReputationList",
                       "AWSManagedRulesKnownBadInputsRuleSet",
                       "AWSManagedRulesCommonRuleSet")
RATE_WINDOW_SECONDS = 300


def _body(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message, "field": None}})


# Response type -> (status or None to keep API Gateway's, code, message).
GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": (
        "404", "not_found", "No such path, or not with this method. The API's paths are "
                            "listed in its OpenAPI document, GET /v1/openapi.json."),
    "RESOURCE_NOT_FOUND": (
        "404", "not_found", "No such path. The API's paths are listed in its OpenAPI "
                            "document, GET /v1/openapi.json."),
    "THROTTLED": ("429", "throttled", "Too many requests; wait a few seconds and try again."),
    "WAF_FILTERED": (
        "403", "forbidden", "The API's firewall refused this request (a rule against "
                            "malicious or abusive traffic, or too many requests from this "
                            "sign-in or address). If it was legitimate, wait a few minutes; "
                            "if it keeps happening, contact support with the time it was sent."),
    "REQUEST_TOO_LARGE": ("413", "too_large", "The request is too large for this API."),
    "UNSUPPORTED_MEDIA_TYPE": (
        "415", "unsupported_media_type", "Send the request body as JSON, with "
                                         "Content-Type: application/json."),
    "DEFAULT_4XX": (None, "rejected", "The request was refused before it reached the API; "
                                      "check the method, path and headers against GET "
                                      "/v1/openapi.json."),
    "DEFAULT_5XX": (None, "internal", "Something went wrong on our side; nothing was changed "
                                      "if the request did not complete. Try again, and contact "
                                      "support if it keeps happening."),
}


def gateway_responses() -> dict:
    """The `x-amazon-apigateway-gateway-responses` extension of the API's definition (there,
    rather than as separate resources, so a change redeploys the stage)."""
    responses = {}
    for kind, (status, code, message) in GATEWAY_RESPONSES.items():
        response = {
            "responseParameters": {"gatewayresponse.header.Content-Type": "'application/json'"},
            "responseTemplates": {"application/json": _body(code, message)},
        }
        if status:
            response["statusCode"] = status
        if kind == "THROTTLED":
            response["responseParameters"]["gatewayresponse.header.Retry-After"] = "'5'"
        responses[kind] = response
    return responses


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True)


def _managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name, priority=priority,
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=name)),
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        visibility_config=_visibility(name))


def _rate(name: str, priority: int, limit: int,
          statement: wafv2.CfnWebACL.RateBasedStatementProperty) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name, priority=priority,
        statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=statement),
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        visibility_config=_visibility(name))


def web_acl(scope: Construct, settings: Environment) -> wafv2.CfnWebACL:
    per_token = wafv2.CfnWebACL.RateBasedStatementProperty(
        aggregate_key_type="CUSTOM_KEYS", limit=settings.api_requests_per_token_per_5min,
        evaluation_window_sec=RATE_WINDOW_SECONDS,
        custom_keys=[wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
            header=wafv2.CfnWebACL.RateLimitHeaderProperty(
                name="authorization",
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(
                    priority=0, type="NONE")]))])
    per_ip = wafv2.CfnWebACL.RateBasedStatementProperty(
        aggregate_key_type="IP", limit=settings.api_requests_per_ip_per_5min,
        evaluation_window_sec=RATE_WINDOW_SECONDS)
    rules = [_managed(name, priority) for priority, name in enumerate(MANAGED_RULE_GROUPS)]
    rules += [_rate("RequestsPerToken", len(rules), settings.api_requests_per_token_per_5min,
                    per_token),
              _rate("RequestsPerAddress", len(rules) + 1, settings.api_requests_per_ip_per_5min,
                    per_ip)]
    return wafv2.CfnWebACL(
        scope, "ApiFirewall", name=f"smartalex-{settings.name}-api", scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility(f"smartalex-{settings.name}-api"), rules=rules)


def protect_stage(scope: Construct, settings: Environment, rest_api_logical_id: str) -> \
        wafv2.CfnWebACL:
    """The web ACL, associated with the chalice app's stage. `${RestAPI.Stage}` is SAM's
    reference to the stage it generates, so the association waits for it."""
    acl = web_acl(scope, settings)
    wafv2.CfnWebACLAssociation(
        scope, "ApiFirewallAssociation", web_acl_arn=acl.attr_arn,
        resource_arn=Fn.sub("arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/"
                            f"${{{rest_api_logical_id}}}/stages/"
                            f"${{{rest_api_logical_id}.Stage}}"))
    return acl
