"""AWS implementations of the core's ports: DynamoDB (pynamodb), SQS, Secrets Manager."""
