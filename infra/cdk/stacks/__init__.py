"""One stack per concern; `infra.cdk.app.build` wires them for one environment."""
