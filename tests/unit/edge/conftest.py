"""Fixtures shared by the edge's unit tests: the fake clock and a lease table with one trunk."""

import pytest

from .fakes import TRUNK, FakeLeaseTable, FakeTime


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def table() -> FakeLeaseTable:
    table = FakeLeaseTable()
    table.add(TRUNK)
    return table
