# SPDX-License-Identifier: GPL-2.0-or-later
"""The port state machine tables (IEEE 1588-2019 Figures 30 and 31)."""

from __future__ import annotations

import pytest

from ptpbridge.core.ptp.fsm import OPERATIONAL, PortEvent, next_state
from ptpbridge.wire.ptp.constants import PortState

S = PortState
E = PortEvent

ORDINARY = [
    (S.INITIALIZING, E.INIT_COMPLETE, S.LISTENING),
    (S.LISTENING, E.ANNOUNCE_RECEIPT_TIMEOUT, S.MASTER),
    (S.LISTENING, E.RS_MASTER, S.PRE_MASTER),
    (S.LISTENING, E.RS_GRAND_MASTER, S.MASTER),
    (S.LISTENING, E.RS_SLAVE, S.UNCALIBRATED),
    (S.LISTENING, E.RS_PASSIVE, S.PASSIVE),
    (S.PRE_MASTER, E.QUALIFICATION_TIMEOUT, S.MASTER),
    (S.PRE_MASTER, E.RS_MASTER, S.PRE_MASTER),
    (S.PRE_MASTER, E.RS_GRAND_MASTER, S.MASTER),
    (S.PRE_MASTER, E.RS_SLAVE, S.UNCALIBRATED),
    (S.MASTER, E.RS_MASTER, S.MASTER),
    (S.MASTER, E.RS_GRAND_MASTER, S.MASTER),
    (S.MASTER, E.RS_SLAVE, S.UNCALIBRATED),
    (S.MASTER, E.RS_PASSIVE, S.PASSIVE),
    (S.MASTER, E.ANNOUNCE_RECEIPT_TIMEOUT, S.MASTER),
    (S.PASSIVE, E.ANNOUNCE_RECEIPT_TIMEOUT, S.MASTER),
    (S.PASSIVE, E.RS_MASTER, S.PRE_MASTER),
    (S.PASSIVE, E.RS_SLAVE, S.UNCALIBRATED),
    (S.UNCALIBRATED, E.MASTER_CLOCK_SELECTED, S.SLAVE),
    (S.UNCALIBRATED, E.ANNOUNCE_RECEIPT_TIMEOUT, S.MASTER),
    (S.UNCALIBRATED, E.RS_SLAVE, S.UNCALIBRATED),
    (S.SLAVE, E.RS_SLAVE, S.SLAVE),
    (S.SLAVE, E.RS_SLAVE_NEW_PARENT, S.UNCALIBRATED),
    (S.SLAVE, E.SYNCHRONIZATION_FAULT, S.UNCALIBRATED),
    (S.SLAVE, E.ANNOUNCE_RECEIPT_TIMEOUT, S.MASTER),
    (S.SLAVE, E.RS_MASTER, S.PRE_MASTER),
    (S.SLAVE, E.MASTER_CLOCK_SELECTED, S.SLAVE),
    (S.FAULTY, E.FAULT_CLEARED, S.INITIALIZING),
    (S.FAULTY, E.RS_MASTER, S.FAULTY),
    (S.DISABLED, E.DESIGNATED_ENABLED, S.INITIALIZING),
    (S.DISABLED, E.RS_SLAVE, S.DISABLED),
    (S.DISABLED, E.ANNOUNCE_RECEIPT_TIMEOUT, S.DISABLED),
    (S.MASTER, E.QUALIFICATION_TIMEOUT, S.MASTER),
]


@pytest.mark.parametrize(("state", "event", "expected"), ORDINARY)
def test_ordinary_clock(state: PortState, event: PortEvent, expected: PortState) -> None:
    assert next_state(state, event) is expected


@pytest.mark.parametrize("state", sorted(OPERATIONAL))
def test_fault_and_disable_from_every_operational_state(state: PortState) -> None:
    assert next_state(state, E.FAULT_DETECTED) is S.FAULTY
    assert next_state(state, E.DESIGNATED_DISABLED) is S.DISABLED
    assert next_state(state, E.FAULT_DETECTED, slave_only=True) is S.FAULTY


@pytest.mark.parametrize("state", list(S))
def test_initialize_restarts_any_state(state: PortState) -> None:
    assert next_state(state, E.INITIALIZE) is S.INITIALIZING


SLAVE_ONLY = [
    (S.LISTENING, E.ANNOUNCE_RECEIPT_TIMEOUT, S.LISTENING),
    (S.LISTENING, E.RS_GRAND_MASTER, S.LISTENING),
    (S.LISTENING, E.RS_SLAVE, S.UNCALIBRATED),
    (S.UNCALIBRATED, E.MASTER_CLOCK_SELECTED, S.SLAVE),
    (S.UNCALIBRATED, E.RS_LISTENING, S.LISTENING),
    (S.SLAVE, E.ANNOUNCE_RECEIPT_TIMEOUT, S.LISTENING),
    (S.SLAVE, E.RS_PASSIVE, S.LISTENING),
    (S.SLAVE, E.RS_SLAVE_NEW_PARENT, S.UNCALIBRATED),
    (S.MASTER, E.RS_GRAND_MASTER, S.LISTENING),
]


@pytest.mark.parametrize(("state", "event", "expected"), SLAVE_ONLY)
def test_slave_only_clock(state: PortState, event: PortEvent, expected: PortState) -> None:
    assert next_state(state, event, slave_only=True) is expected


def test_slave_only_never_reaches_a_master_state() -> None:
    reachable = {S.INITIALIZING}
    frontier = [S.INITIALIZING]
    while frontier:
        state = frontier.pop()
        for event in E:
            nxt = next_state(state, event, slave_only=True)
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable.isdisjoint({S.MASTER, S.PRE_MASTER, S.PASSIVE})
    assert S.SLAVE in reachable
