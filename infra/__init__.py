"""Infrastructure as code (AWS CDK, Python)."""
