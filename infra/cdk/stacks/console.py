"""The admin console's site: the built single-page app (console/dist) in a private S3 bucket,
served by CloudFront through origin access control, with the security headers and the
Content-Security-Policy of smartalex/console_site.py on every answer.

The API stack depends on this one, not the other way round: the API's CORS origin
(SMARTALEX_CONSOLE_ORIGIN) and the Cognito client's callback URL are this distribution's
domain, and the console's config.json (the API URL, the hosted UI's domain) is written into
the bucket by the API stack (ApiStack._deploy_console). So the CSP here cannot name the API by
its id (that would be a cycle): it allows this region's API Gateway domains and the user
pool's hosted UI domain, whose prefix is fixed by the environment (`cognito_domain_prefix`).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from smartalex.console_site import (
    FRAME_OPTIONS,
    HSTS_MAX_AGE_SECONDS,
    OTHER_HEADERS,
    content_security_policy,
)

from ..environments import Environment
from ..nag import acknowledge

REPO = Path(__file__).resolve().parents[3]
CONSOLE_DIST = REPO / "console" / "dist"


def cognito_domain(stack: Stack, settings: Environment) -> str:
    """The hosted UI's base URL: `https://<prefix>.auth.<region>.amazoncognito.com`."""
    return (f"https://{settings.cognito_domain_prefix(stack.account)}.auth.{stack.region}"
            ".amazoncognito.com")


def console_bucket_name(stack: Stack, settings: Environment, account: str | None = None,
                        region: str | None = None) -> str:
    """Named, so the API stack's deployment of the files refers to it by name (an ARN cdk-nag
    can be told about) rather than by a cross-stack export."""
    return (f"smartalex-{settings.name}-console-{account or stack.account}-"
            f"{region or stack.region}")


class ConsoleStack(Stack):
    def __init__(self, scope: Construct, id: str, *, settings: Environment,
                 dist: Path = CONSOLE_DIST, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        if not (dist / "index.html").is_file():
            raise FileNotFoundError(f"The console is not built ({dist / 'index.html'} is "
                                    "missing): run `make console` before synthesizing.")
        self.settings, self.dist = settings, dist
        self.bucket = s3.Bucket(
            self, "Site", bucket_name=console_bucket_name(self, settings),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True, versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True)  # built files only: the console is rebuilt from git
        self.headers = self._headers_policy()
        self.distribution = cloudfront.Distribution(
            self, "Distribution",
            comment=f"SmartAlex {settings.name} admin console",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers),
            # The app's own pages (/trunks/…) are index.html; S3 answers 403 for a missing key.
            error_responses=[cloudfront.ErrorResponse(http_status=code, response_http_status=200,
                                                      response_page_path="/index.html",
                                                      ttl=Duration.seconds(0))
                             for code in (403, 404)],
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100)
        self.origin = f"https://{self.distribution.distribution_domain_name}"
        CfnOutput(self, "ConsoleUrl", value=f"{self.origin}/")
        for rule, reason in (
            ("AwsSolutions-S1", "The bucket holds the console's built files only; CloudFront "
                                "is the one reader, and what it serves is public by design."),
            ("AwsSolutions-CFR1", "Admins sign in from anywhere; access is Cognito's."),
            ("AwsSolutions-CFR2", "Static files only: the API behind it has its own WAF "
                                  "(api_protection.py); the site accepts GET and HEAD only."),
            ("AwsSolutions-CFR3", "Static files, no logins here (those are Cognito's and the "
                                  "API's, both logged); access logs would add cost only."),
            ("AwsSolutions-CFR4", "The default *.cloudfront.net certificate: CloudFront allows "
                                  "no minimum protocol on it; a custom domain gets TLS 1.2."),
        ):
            acknowledge(self.distribution if rule.startswith("AwsSolutions-CFR") else self.bucket,
                        rule, reason)

    def _headers_policy(self) -> cloudfront.ResponseHeadersPolicy:
        csp = content_security_policy([f"https://*.execute-api.{self.region}.amazonaws.com",
                                       cognito_domain(self, self.settings)])
        return cloudfront.ResponseHeadersPolicy(
            self, "SecurityHeaders",
            comment="SmartAlex console: smartalex/console_site.py",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp, override=True),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption[FRAME_OPTIONS], override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.seconds(HSTS_MAX_AGE_SECONDS),
                    include_subdomains=True, override=True)),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(custom_headers=[
                cloudfront.ResponseCustomHeader(header=name, value=value, override=True)
                for name, value in OTHER_HEADERS.items()]))
