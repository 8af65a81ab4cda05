"""`python -m edge`: the container entrypoint."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from aws_lambda_powertools import Logger

from .settings import EdgeSettings

logger = Logger(service="edge")
AWS_CONCURRENCY = 10


def main() -> None:
    from smartalex.adapters.dynamodb.leases import DynamoLeaseStore
    from smartalex.adapters.dynamodb.models import connect
    from smartalex.adapters.dynamodb.registration_claims import DynamoRegistrationClaims
    from smartalex.adapters.metrics import CloudWatchMetrics
    from smartalex.adapters.sqs import SqsPublisher
    from smartalex.bootstrap import bootstrap

    from .assignments import AssignmentKeeper
    from .lease import EdgeLease
    from .supervisor import Supervisor

    settings = EdgeSettings()
    logger.append_keys(edge=settings.edge_id)
    # A poll's claims and a claimed trunk's reads run on these threads (as many as botocore's
    # default connection pool per client, so none waits for a connection).
    pool = ThreadPoolExecutor(AWS_CONCURRENCY, thread_name_prefix="aws")
    connect()  # every table's client, before those threads' first calls (models.connect)
    store = DynamoLeaseStore(settings.edge_id)
    lease = EdgeLease(store, settings.edge_id)
    supervisor = Supervisor(
        settings,
        keeper=AssignmentKeeper(store, lease, pool=pool),
        lease=lease,
        services=bootstrap(),
        publisher=SqsPublisher(),
        metrics=CloudWatchMetrics(),
        claims=DynamoRegistrationClaims(),
        readers=pool,
    )
    supervisor.run()
    raise SystemExit(supervisor.exit_status)


if __name__ == "__main__":
    main()
