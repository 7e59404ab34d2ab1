"""A scan's id travels as a copy's `copy_id`: the contract must accept it every time (the
deployment test found every copy.completed refused as "looks like a MAC address")."""
from __future__ import annotations

from edge.scanning.feature import new_job_id
from protocol.bounds import check_data
from protocol.vocabulary import event_problems


def test_copy_events_carrying_a_scan_id_pass_the_contract():
    for _ in range(2000):
        data = {"pages": 1, "copy_id": new_job_id()}
        assert event_problems("copy.completed", data) == []
        check_data(data)  # raises PayloadError("privacy") for anything MAC-like


def test_scan_ids_are_unique_enough_for_a_house():
    assert len({new_job_id() for _ in range(10_000)}) == 10_000
