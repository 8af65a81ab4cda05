"""`python -m edge`: the container entrypoint."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from .settings import EdgeSettings

logger = Logger(service="edge")


def main() -> None:
    from smartalex.adapters.dynamodb.leases import DynamoLeaseStore
    from smartalex.adapters.dynamodb.registration_claims import DynamoRegistrationClaims
    from smartalex.adapters.metrics import CloudWatchMetrics
    from smartalex.adapters.sqs import SqsPublisher
    from smartalex.bootstrap import bootstrap

    from .assignments import AssignmentKeeper
    from .supervisor import Supervisor

    settings = EdgeSettings()
    logger.append_keys(edge=settings.edge_id)
    supervisor = Supervisor(
        settings,
        keeper=AssignmentKeeper(DynamoLeaseStore(owner=settings.edge_id)),
        services=bootstrap(),
        publisher=SqsPublisher(),
        metrics=CloudWatchMetrics(),
        claims=DynamoRegistrationClaims(),
    )
    supervisor.run()
    raise SystemExit(supervisor.exit_status)


if __name__ == "__main__":
    main()
