"""The SmartAlex CDK app: `python -m infra.cdk.app` (see cdk.json and docs/deploy.md)."""
