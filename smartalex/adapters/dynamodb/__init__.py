"""DynamoDB tables (pynamodb models) and the repositories built on them."""
