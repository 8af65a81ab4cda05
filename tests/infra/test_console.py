"""The admin console's hosting: a private bucket read only by its CloudFront distribution
(origin access control), the security headers of smartalex/console_site.py on every answer,
sign-in through the user pool's hosted UI (code + PKCE), and the API's CORS for that origin."""

from __future__ import annotations

import json

from smartalex.console_site import OTHER_HEADERS


def one(env, concern, type_) -> dict:
    (resource,) = env.resources(concern, type_).values()
    return resource["Properties"]


def distribution_ref(env) -> str:
    return env.logical_id(env.app.console.distribution)


def test_the_bucket_is_private_encrypted_and_refuses_plain_http(env):
    bucket = one(env, "Console", "AWS::S3::Bucket")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True}
    assert "WebsiteConfiguration" not in bucket
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    statements = one(env, "Console", "AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
    deny_http = [s for s in statements if s["Effect"] == "Deny"]
    assert deny_http and deny_http[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_only_the_distribution_reads_the_bucket_through_origin_access_control(env):
    statements = one(env, "Console", "AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
    allowed = [s for s in statements if s["Effect"] == "Allow"]
    (read,) = [s for s in allowed if s["Principal"] == {"Service": "cloudfront.amazonaws.com"}]
    assert read["Action"] == "s3:GetObject"
    # Beside it only the stack's own clean-up of the built files (auto_delete_objects).
    others = [s for s in allowed if s is not read]
    assert all("CustomS3AutoDeleteObjects" in json.dumps(s["Principal"]) for s in others)
    assert not any("s3:GetObject" in json.dumps(s["Action"]) for s in others)
    source = json.dumps(read["Condition"]["StringEquals"]["AWS:SourceArn"])
    assert distribution_ref(env) in source  # this distribution, no other
    config = one(env, "Console", "AWS::CloudFront::Distribution")["DistributionConfig"]
    (origin,) = config["Origins"]
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]


def test_every_answer_carries_the_csp_and_security_headers(env):
    policy = one(env, "Console", "AWS::CloudFront::ResponseHeadersPolicy")[
        "ResponseHeadersPolicyConfig"]
    security = policy["SecurityHeadersConfig"]
    csp = json.dumps(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "frame-ancestors 'none'", "object-src 'none'",
                      "connect-src 'self' https://*.execute-api."):
        assert directive in csp
    assert ".amazoncognito.com" in csp and "unsafe" not in csp
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"] == {"Override": True}
    assert {h["Header"]: h["Value"] for h in policy["CustomHeadersConfig"]["Items"]} == \
        OTHER_HEADERS
    behavior = one(env, "Console", "AWS::CloudFront::Distribution")["DistributionConfig"][
        "DefaultCacheBehavior"]
    assert env.logical_id(env.app.console.headers) in json.dumps(
        behavior["ResponseHeadersPolicyId"])


def test_the_console_signs_in_with_the_authorization_code_flow_on_the_hosted_ui(env):
    client = one(env, "Api", "AWS::Cognito::UserPoolClient")
    assert client["AllowedOAuthFlows"] == ["code"]  # no implicit flow: tokens never in a URL
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["GenerateSecret"] is False  # a browser keeps no secret; PKCE binds the code
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    for urls in (client["CallbackURLs"], client["LogoutURLs"]):
        (url,) = urls
        assert "https://" in json.dumps(url) and distribution_ref(env) in json.dumps(url)
    domain = one(env, "Api", "AWS::Cognito::UserPoolDomain")
    assert f"smartalex-{env.name}-" in json.dumps(domain["Domain"])


def test_the_api_answers_cors_for_the_console_origin_of_its_stage(env):
    handler = one(env, "Api", "AWS::Serverless::Function")
    origin = json.dumps(handler["Environment"]["Variables"]["SMARTALEX_CONSOLE_ORIGIN"])
    assert "https://" in origin and distribution_ref(env) in origin


def test_the_built_console_and_its_config_are_deployed_to_the_bucket(env):
    deployments = env.resources("Api", "Custom::CDKBucketDeployment")
    assert len(deployments) == 2
    pages = next(d["Properties"] for d in deployments.values()
                 if "DistributionId" in d["Properties"])
    assert pages["DistributionPaths"] == ["/index.html", "/config.json"]
    assert pages["Prune"] is False
    # config.json's deploy-time values: the API's URL and the user pool client.
    markers = json.dumps(pages["SourceMarkers"])
    assert "RestAPI" in markers and env.logical_id(env.app.api.client) in markers
