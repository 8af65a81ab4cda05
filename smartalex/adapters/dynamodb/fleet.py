"""The edges' own lease items as the rest of the system reads them: which edges are alive,
until when, and how much room each has (written with every renewal: leases.py)."""

from __future__ import annotations

from dataclasses import dataclass

from .models import FLEET, EdgeLeaseModel


@dataclass(frozen=True)
class EdgeRecord:
    """One edge lease as another edge, or the API, sees it."""

    holder: str
    expires_at: float  # 0: finished
    finished_at: float | None = None
    room: int | None = None  # registrations it can still take; None: not written yet

    @property
    def finished(self) -> bool:
        return self.expires_at == 0

    def alive(self, now: float) -> bool:
        return self.expires_at > now


def read_fleet() -> list[EdgeRecord]:
    """Every edge lease: the fleet index names them, the table says when each expires.
    Eventually consistent reads are enough (and half the price): an expiry read stale only
    delays finishing that lease by a poll (the finish checks it again), a finished lease stays
    finished, and a room read a second late only colours what an unheld trunk waits for."""
    holders = [item.holder for item in EdgeLeaseModel.fleet_index.query(FLEET)]
    if not holders:
        return []
    return [EdgeRecord(item.holder, float(item.expires_at),
                       float(item.finished_at) if item.finished_at is not None else None,
                       int(item.room) if item.room is not None else None)
            for item in EdgeLeaseModel.batch_get(holders)]
