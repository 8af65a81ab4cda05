"""Placement of trunks onto worker processes by capacity (edge/placement.py)."""

import pytest

from edge.placement import Placement


def test_trunks_spread_evenly_over_the_workers():
    p = Placement(workers=3, trunks_per_worker=4)
    where = [p.place(f"trk_{i}") for i in range(6)]
    assert where == [0, 1, 2, 0, 1, 2]
    assert [p.load(i) for i in range(3)] == [2, 2, 2]


def test_a_full_edge_places_nothing_more():
    p = Placement(workers=2, trunks_per_worker=2)
    assert [p.place(f"trk_{i}") for i in range(4)] == [0, 1, 0, 1]
    assert p.room() == 0
    assert p.place("trk_extra") is None
    assert p.worker_of("trk_extra") is None and p.held() == 4


def test_a_trunk_already_placed_stays_on_its_worker():
    p = Placement(workers=2, trunks_per_worker=2)
    p.place("trk_a")
    p.place("trk_b")
    p.place("trk_c")
    assert p.place("trk_a") == 0 and p.load(0) == 2
    # Even when its worker is the fullest: a new generation replaces the account in place.
    p.place("trk_d")
    assert p.room() == 0 and p.place("trk_c") == 0


def test_room_freed_by_a_removal_is_used_first():
    p = Placement(workers=2, trunks_per_worker=3)
    for i in range(4):
        p.place(f"trk_{i}")
    assert p.remove("trk_1") == 1
    assert p.remove("trk_1") is None
    assert p.place("trk_new") == 1
    assert sorted(p.trunks_on(1)) == ["trk_3", "trk_new"]


def test_the_trunks_of_a_worker_are_what_its_replacement_registers():
    p = Placement(workers=2, trunks_per_worker=5)
    for i in range(5):
        p.place(f"trk_{i}")
    assert p.trunks_on(0) == ["trk_0", "trk_2", "trk_4"]
    assert p.trunks_on(1) == ["trk_1", "trk_3"]
    assert p.capacity == 10 and p.room() == 5


@pytest.mark.parametrize("workers,per_worker", [(0, 1), (1, 0)])
def test_an_edge_without_capacity_is_a_configuration_error(workers, per_worker):
    with pytest.raises(ValueError):
        Placement(workers, per_worker)
