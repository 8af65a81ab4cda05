"""An edge that loses its lease without draining stops registering the extension at once and
says so: the trunk reads Connecting, waiting for an edge, instead of Registered until the
registration runs out minutes later.

The lease is lost for real: the lease table stops answering the edge (its IAM user is denied
DynamoDB, as when the table throttles it or cannot be reached from its network), so it cannot
renew, while SQS still carries what it reports. When the table answers again the edge takes the
trunk back by itself."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

from devstack.identities import user_name
from smartalex.adapters import aws
from smartalex.domain.assignment import LEASE_SECONDS
from smartalex.domain.registration import WAITING_FOR_EDGE, as_shown

from .conftest import wait_for
from .office import TENANT, errors, registered

pytestmark = pytest.mark.sip
DENY = "test-lease-table-unreachable"


@contextmanager
def lease_table_unreachable():
    """The admin denies the edge's IAM user every DynamoDB action, then takes the denial back."""
    iam = aws.client("iam")
    iam.put_user_policy(UserName=user_name("edge"), PolicyName=DENY, PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}]}))
    try:
        yield
    finally:
        iam.delete_user_policy(UserName=user_name("edge"), PolicyName=DENY)


def test_an_edge_that_cannot_renew_its_lease_lets_the_extension_go_and_says_so_at_once(
        control_plane, office, edge_factory, expect_access_denied):
    pbx, trunk, _ = office
    edge = edge_factory(workers=1)
    registered(control_plane, trunk)
    expires_at = control_plane.trunks.get(TENANT, trunk.trunk_id).registration.expires_at

    with lease_table_unreachable():
        # The stored status, as the edge reported it (not as the API derives it from the lease):
        # only the edge letting go can make it read Connecting.
        stored = wait_for(
            lambda: (s := control_plane.trunks.get(TENANT, trunk.trunk_id).registration)
            .state == "connecting" and s, LEASE_SECONDS + 10, "the edge to report letting go")
        now = datetime.now(timezone.utc)
        assert now < expires_at  # long before the registration would have run out
        assert stored.error == WAITING_FOR_EDGE
        assert "could not be renewed in time" in edge.log_text()
        wait_for(lambda: pbx.contacts("1000") == [], 5, "the edge to un-register")
        lease = control_plane.trunks.get(TENANT, trunk.trunk_id).lease
        shown = as_shown(stored, lease.expires_at if lease else None, now)
        assert (shown.label("1000"), shown.error) == ("Connecting", WAITING_FOR_EDGE)
        # A routine hand-over, not a problem for the admin's error list.
        assert not [e for e in errors(control_plane, trunk) if e.message == WAITING_FOR_EDGE]

    registered(control_plane, trunk)  # the table answers again: the edge takes it back
    assert pbx.wait_for_contact("1000")
