"""The control API: the Chalice app in control/ (packaged by `chalice.cdk.Chalice`, i.e.
`chalice package` at synth time) behind API Gateway, and the Cognito user pool whose ID tokens
its verifier accepts.

Auth contract (control/chalicelib/auth.py, SMARTALEX_AUTH_MODE=cognito): the API verifies the
bearer JWT itself against the pool's JWKS, issuer and audience (the app client id, which
Cognito puts in `aud` of ID tokens), and takes the tenant from the `custom:tenant_id` claim.
Custom attributes are only in ID tokens, so clients send the ID token. The attribute is
immutable and not writable by the app client, and self sign-up is off: only an administrator
(AdminCreateUser) decides a user's tenant.

Chalice packages a staged copy of control/ whose vendor/ holds the domain core and the
requirements installed for Lambda (vendor_core.py explains why). The stage sits behind AWS WAF
(managed rules, rate limits per token and per address) and answers what API Gateway answers
itself in the API's error format, quoting nothing of the request (api_protection.py).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from chalice.cdk import Chalice
from constructs import Construct

from ..environments import Environment
from ..nag import acknowledge, arn_finding
from ..vendor_core import CONTROL_DIR, stage_control_app
from smartalex.console_site import CONFIG_FILE, cognito_config

from .api_protection import gateway_responses, protect_stage
from .console import ConsoleStack, cognito_domain, console_bucket_name
from .data import API_ACCESS, DataStack
from .secrets import SecretsStack

TENANT_ATTRIBUTE = "tenant_id"  # in tokens: custom:tenant_id
# One JSON line per request in the access log.
_ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"time":"$context.requestTime","method":"$context.httpMethod",'
    '"path":"$context.resourcePath","status":"$context.status",'
    '"latencyMs":"$context.responseLatency","bytes":"$context.responseLength"}'
)


@contextmanager
def _isolated_chalice_import() -> Iterator[None]:
    """`chalice package` imports app.py in this process, and on the way writes the stage's
    environment variables into os.environ, puts the project on sys.path and leaves `app` and
    `chalicelib` in sys.modules. Undo all three: nothing of one environment's synth may leak
    into the next (or into other tests of the same session). An `app`/`chalicelib` already
    imported (a test of the API) is set aside meanwhile: chalice re-executes app.py, and
    re-registering cached blueprints in a new app breaks (chalice pops their route kwargs)."""
    environ, path = dict(os.environ), list(sys.path)
    set_aside = {name: sys.modules.pop(name) for name in list(sys.modules)
                 if name == "app" or name.split(".")[0] == "chalicelib"}
    modules = set(sys.modules)
    cwd = os.getcwd()
    # The construct writes its package to ./chalice.out/<uuid>/ and never cleans up (30 MB
    # per synth); the asset is staged into the cloud assembly at construction time, so a
    # scratch working directory can go right after.
    scratch = tempfile.mkdtemp(prefix="chalice-")
    os.chdir(scratch)
    try:
        yield
    finally:
        os.chdir(cwd)
        shutil.rmtree(scratch, ignore_errors=True)
        os.environ.clear()
        os.environ.update(environ)
        sys.path[:] = path
        for name in set(sys.modules) - modules:
            if name == "app" or name.split(".")[0] == "chalicelib":
                del sys.modules[name]
        sys.modules.update(set_aside)


class ApiStack(Stack):
    def __init__(self, scope: Construct, id: str, *, settings: Environment, data: DataStack,
                 secrets: SecretsStack, console: ConsoleStack, runtime_env: Mapping[str, str],
                 source_dir: Path = CONTROL_DIR, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.settings, self.console = settings, console
        self.user_pool, self.client = self._create_user_pool()
        self.role = iam.Role(self, "ApiHandlerRole",
                             assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description="SmartAlex control API (Chalice)")
        self.api_environment = {
            **runtime_env,
            "SMARTALEX_AUTH_MODE": "cognito",
            "SMARTALEX_JWKS_URL": f"{self.user_pool.user_pool_provider_url}/.well-known/jwks.json",
            "SMARTALEX_JWT_ISSUER": self.user_pool.user_pool_provider_url,
            "SMARTALEX_JWT_AUDIENCE": self.client.user_pool_client_id,
            "SMARTALEX_TENANT_CLAIM": f"custom:{TENANT_ATTRIBUTE}",
            # CORS for the console's origin only (control/chalicelib/routes/cors.py).
            "SMARTALEX_CONSOLE_ORIGIN": console.origin,
        }
        self.chalice = self._create_chalice_app(Path(source_dir))
        data.grant_access(self.role, API_ACCESS)
        secrets.grant_manage(self.role)
        # Like CDK-built functions: the function waits for its role's policy.
        self.chalice.get_resource("APIHandler").add_resource_dependency(
            self.role.node.find_child("DefaultPolicy").node.default_child)
        self.url = self.chalice.sam_template.get_output("EndpointURL").value
        self._deploy_console()
        CfnOutput(self, "ApiUrl", value=self.url)
        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.client.user_pool_client_id)

    def _create_user_pool(self) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        s = self.settings
        pool = cognito.UserPool(
            self, "Users",
            user_pool_name=f"smartalex-{s.name}",
            self_sign_up_enabled=False,  # an admin creates users and sets their tenant
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)),
            custom_attributes={TENANT_ATTRIBUTE: cognito.StringAttribute(
                min_len=1, max_len=64, mutable=False)},
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_lowercase=True, require_uppercase=True,
                require_digits=True, require_symbols=True,
                temp_password_validity=Duration.days(3)),
            mfa=cognito.Mfa.REQUIRED if s.cognito_mfa_required else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=s.deletion_protection,
            removal_policy=s.removal_policy,
        )
        client = pool.add_client(
            "ConsoleClient",
            user_pool_client_name=f"smartalex-{s.name}-console",
            generate_secret=False,  # public client (browser, CLI)
            # SRP for people; admin_user_password for operators and scripts holding IAM
            # credentials (AdminInitiateAuth), e.g. docs/deploy.md getting a first token.
            auth_flows=cognito.AuthFlow(user_srp=True, admin_user_password=True),
            # The console signs in through the hosted UI: authorization code with PKCE (a
            # public client has no secret; PKCE is what binds the code to the browser).
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
                callback_urls=[f"{self.console.origin}/"],
                logout_urls=[f"{self.console.origin}/"]),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True)
            .with_custom_attributes(TENANT_ATTRIBUTE),
            # Not the tenant: a user who could write custom:tenant_id could read any tenant.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True),
        )
        pool.add_domain("HostedUi", cognito_domain=cognito.CognitoDomainOptions(
            domain_prefix=s.cognito_domain_prefix(self.account)))
        if not s.cognito_mfa_required:
            acknowledge(pool, "AwsSolutions-COG2",
                        f"MFA is optional in {s.name} (test users); required in prod "
                        "(environments.py cognito_mfa_required).")
        acknowledge(pool, "AwsSolutions-COG8",
                    "The Essentials plan: the Plus plan's threat protection is not worth its "
                    "per-user price for a handful of admin accounts (see COG3).")
        acknowledge(pool, "AwsSolutions-COG3",
                    "Threat protection (AdvancedSecurityMode) needs the Cognito Plus plan; "
                    "users are few admin accounts created by us, with strong passwords and "
                    "MFA in prod.")
        return pool, client

    def _deploy_console(self) -> None:
        """The built console and its config.json into the console's bucket: hashed assets
        cached for good, index.html and config.json revalidated (a new release is seen at
        once); CloudFront's copies of those two are invalidated on each deployment."""
        console, dist = self.console, self.console.dist
        # By name, not the Console stack's bucket object: the grant then reads as an ARN here.
        bucket_name = console_bucket_name(self, self.settings)
        bucket = s3.Bucket.from_bucket_name(self, "ConsoleBucket", bucket_name)
        config = cognito_config(self.url, self.settings.stage,
                                domain=cognito_domain(self, self.settings),
                                client_id=self.client.user_pool_client_id,
                                redirect_uri=f"{console.origin}/")
        assets = s3deploy.BucketDeployment(
            self, "ConsoleAssets", destination_bucket=bucket,
            sources=[s3deploy.Source.asset(str(dist), exclude=["*", "!assets/**"])],
            cache_control=[s3deploy.CacheControl.from_string(
                "public, max-age=31536000, immutable")],
            prune=False, memory_limit=256)
        pages = s3deploy.BucketDeployment(
            self, "ConsolePages", destination_bucket=bucket,
            sources=[s3deploy.Source.asset(str(dist), exclude=["assets/**"]),
                     s3deploy.Source.json_data(CONFIG_FILE, config)],
            cache_control=[s3deploy.CacheControl.no_cache()],
            distribution=console.distribution, distribution_paths=["/index.html", f"/{CONFIG_FILE}"],
            prune=False, memory_limit=256)
        pages.node.add_dependency(assets)  # a new index.html never names assets not there yet
        for rule, reason in (
            ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
             "AWSLambdaBasicExecutionRole]",
             "CDK's BucketDeployment custom resource: its function only writes its own logs."),
            *((f"AwsSolutions-IAM5[{finding}]", "CDK's BucketDeployment custom resource: "
               "its own grants to read the CDK asset bucket and write the console's bucket.")
              for finding in (
                  "Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*",
                  "Action::s3:DeleteObject*", "Action::s3:Abort*",
                  "Resource::" + arn_finding(self, "s3:::cdk-hnb659fds-assets-{account}-"
                                                   "{region}/*"),
                  "Resource::" + arn_finding(self, "s3:::" + console_bucket_name(
                      self, self.settings, "{account}", "{region}") + "/*"))),
            ("AwsSolutions-IAM5[Resource::*]", "cloudfront:CreateInvalidation (BucketDeployment "
             "invalidating index.html and config.json) takes no resource-level permission."),
            ("AwsSolutions-L1", "CDK's BucketDeployment custom resource picks its runtime."),
        ):
            # On the deployments' one function (a singleton child of the stack), nowhere else.
            for function in self.node.children:
                if function.node.id.startswith("Custom::CDKBucketDeployment"):
                    acknowledge(function, rule, reason)

    def _create_chalice_app(self, source_dir: Path) -> Chalice:
        s = self.settings
        staged = stage_control_app(source_dir)
        handler_logs = logs.LogGroup(self, "ApiHandlerLogs", retention=s.log_retention,
                                     removal_policy=s.removal_policy)
        handler_logs.grant_write(self.role)
        # SAM adds the X-Ray policy only to roles it creates; this one is ours.
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]))
        access_logs = logs.LogGroup(self, "ApiAccessLogs", retention=s.log_retention,
                                    removal_policy=s.removal_policy)
        with _isolated_chalice_import():
            app = Chalice(self, "Control", source_dir=str(staged), stage_config={
                "environment_variables": dict(self.api_environment),
                # Our role: grants are explicit and visible here, and chalice's policy
                # autogeneration (it scans app.py for boto3 calls) is off.
                "manage_iam_role": False,
                "iam_role_arn": self.role.role_arn,
                "api_gateway_endpoint_type": "REGIONAL",  # callers are consoles and scripts
                "xray": True,
            })
        handler = app.get_resource("APIHandler")
        # Logs to our log group (retention, removal policy) instead of the implicit one.
        handler.add_property_override("LoggingConfig", {
            "LogGroup": handler_logs.log_group_name, "LogFormat": "Text"})
        rest_api = app.get_resource("RestAPI")
        rest_api.add_property_override("AccessLogSetting", {
            "DestinationArn": access_logs.log_group_arn, "Format": _ACCESS_LOG_FORMAT})
        rest_api.add_property_override("TracingEnabled", True)
        rest_api.add_property_override("MethodSettings", [{
            "ResourcePath": "/*", "HttpMethod": "*",
            "LoggingLevel": "ERROR", "MetricsEnabled": True, "DataTraceEnabled": False,
            "ThrottlingRateLimit": s.api_rate_limit, "ThrottlingBurstLimit": s.api_burst_limit,
        }])
        rest_api.add_resource_dependency(self._create_api_gateway_logging_role())
        # What API Gateway answers itself, in our error format and quoting nothing; and the
        # firewall with its rate limits (api_protection.py).
        rest_api.add_property_override("DefinitionBody.x-amazon-apigateway-gateway-responses",
                                       gateway_responses())
        self.firewall = protect_stage(self, s, "RestAPI")

        acknowledge(handler, "AwsSolutions-L1",
                    "Python 3.11 on purpose: chalice packages for the interpreter that runs it "
                    "and the code base is pinned to 3.11 (pyproject.toml).")
        acknowledge(self.role, "AwsSolutions-IAM5[Resource::*]",
                    "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level "
                    "permissions.")
        # cdk-nag does not look inside the SAM transform (AWS::Serverless::Api), so these
        # rules do not fire today; the acknowledgments record the decisions anyway. (APIG3,
        # WAF on the stage, needs none: protect_stage attaches it.)
        for rule, reason in (
            ("AwsSolutions-APIG4", "Authorization happens in the app: the Chalice verifier "
                                   "checks the Cognito ID token (JWKS, issuer, audience) and "
                                   "derives the tenant from it, on every route."),
            ("AwsSolutions-COG4", "The Cognito token is verified in the app, not by an API "
                                  "Gateway authorizer (see AwsSolutions-APIG4)."),
            ("AwsSolutions-APIG2", "Requests are validated in the app by pydantic commands, "
                                   "with field-level error messages API Gateway cannot give."),
        ):
            acknowledge(rest_api, rule, reason)
        return app

    def _create_api_gateway_logging_role(self) -> apigateway.CfnAccount:
        """API Gateway writes access/execution logs with ONE role per account and region.

        Setting it here makes the stack deployable into a fresh account; several
        environments in one account all set an equivalent role, so both are retained on
        stack deletion (deleting them would break logging of the other environments).
        """
        role = iam.Role(self, "ApiGatewayCloudWatchRole",
                        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
                        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                            "service-role/AmazonAPIGatewayPushToCloudWatchLogs")])
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        account = apigateway.CfnAccount(self, "ApiGatewayAccount",
                                        cloud_watch_role_arn=role.role_arn)
        account.apply_removal_policy(RemovalPolicy.RETAIN)
        acknowledge(role, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                          "service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                    "The AWS-maintained policy API Gateway documents for its account-level "
                    "logging role.")
        return account
