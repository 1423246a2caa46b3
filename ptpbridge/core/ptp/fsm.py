# SPDX-License-Identifier: GPL-2.0-or-later
"""The port state machine of IEEE 1588-2019 9.2.5 (Figure 30), as explicit tables.

``next_state`` is a pure lookup: (state, event) -> state, with a second
table for slave-only clocks (Figure 31), which never master. Anything not
in a table leaves the state unchanged. Two readings of the figure we
chose, both as linuxptp does:

* An M1/M2 decision (this clock is the grandmaster) goes straight to
  MASTER: its qualification timeout is zero, so PRE_MASTER would last no
  time at all. M3 goes through PRE_MASTER.
* A repeated S1 decision keeps SLAVE unless the parent changed
  (``RS_SLAVE_NEW_PARENT``), which restarts calibration in UNCALIBRATED.
"""

from __future__ import annotations

import enum
from typing import Final

from ptpbridge.wire.ptp.constants import PortState

S = PortState


class PortEvent(enum.Enum):
    INITIALIZE = "initialize"
    INIT_COMPLETE = "initialization complete"
    FAULT_DETECTED = "fault detected"
    FAULT_CLEARED = "fault cleared"
    DESIGNATED_ENABLED = "designated enabled"
    DESIGNATED_DISABLED = "designated disabled"
    ANNOUNCE_RECEIPT_TIMEOUT = "announce receipt timeout"
    QUALIFICATION_TIMEOUT = "qualification timeout"
    MASTER_CLOCK_SELECTED = "master clock selected"
    SYNCHRONIZATION_FAULT = "synchronization fault"
    RS_GRAND_MASTER = "recommended state MASTER (M1/M2)"
    RS_MASTER = "recommended state MASTER (M3)"
    RS_PASSIVE = "recommended state PASSIVE"
    RS_SLAVE = "recommended state SLAVE"
    RS_SLAVE_NEW_PARENT = "recommended state SLAVE, new parent"
    RS_LISTENING = "recommended state LISTENING (slave-only)"


E = PortEvent

# States that take part in the BMCA (everything but INITIALIZING/FAULTY/DISABLED).
OPERATIONAL: Final = frozenset(
    {S.LISTENING, S.PRE_MASTER, S.MASTER, S.PASSIVE, S.UNCALIBRATED, S.SLAVE}
)

# Transitions every operational state shares.
_COMMON: Final = {E.DESIGNATED_DISABLED: S.DISABLED, E.FAULT_DETECTED: S.FAULTY}

_TO_BMC: Final = {
    E.RS_GRAND_MASTER: S.MASTER,
    E.RS_MASTER: S.PRE_MASTER,
    E.RS_PASSIVE: S.PASSIVE,
    E.RS_SLAVE: S.UNCALIBRATED,
    E.RS_SLAVE_NEW_PARENT: S.UNCALIBRATED,
}

_ORDINARY: Final[dict[PortState, dict[PortEvent, PortState]]] = {
    S.INITIALIZING: {E.INIT_COMPLETE: S.LISTENING, E.FAULT_DETECTED: S.FAULTY},
    S.FAULTY: {E.FAULT_CLEARED: S.INITIALIZING, E.DESIGNATED_DISABLED: S.DISABLED},
    S.DISABLED: {E.DESIGNATED_ENABLED: S.INITIALIZING},
    S.LISTENING: {**_COMMON, **_TO_BMC, E.ANNOUNCE_RECEIPT_TIMEOUT: S.MASTER},
    S.PRE_MASTER: {
        **_COMMON,
        **_TO_BMC,
        E.RS_MASTER: S.PRE_MASTER,
        E.QUALIFICATION_TIMEOUT: S.MASTER,
    },
    S.MASTER: {**_COMMON, **_TO_BMC, E.RS_MASTER: S.MASTER},
    S.PASSIVE: {**_COMMON, **_TO_BMC, E.ANNOUNCE_RECEIPT_TIMEOUT: S.MASTER},
    S.UNCALIBRATED: {
        **_COMMON,
        **_TO_BMC,
        E.ANNOUNCE_RECEIPT_TIMEOUT: S.MASTER,
        E.MASTER_CLOCK_SELECTED: S.SLAVE,
    },
    S.SLAVE: {
        **_COMMON,
        **_TO_BMC,
        E.RS_SLAVE: S.SLAVE,
        E.ANNOUNCE_RECEIPT_TIMEOUT: S.MASTER,
        E.SYNCHRONIZATION_FAULT: S.UNCALIBRATED,
    },
}

_TO_LISTENING: Final = {
    E.ANNOUNCE_RECEIPT_TIMEOUT: S.LISTENING,
    E.RS_LISTENING: S.LISTENING,
    E.RS_GRAND_MASTER: S.LISTENING,
    E.RS_MASTER: S.LISTENING,
    E.RS_PASSIVE: S.LISTENING,
}

_SLAVE_ONLY: Final[dict[PortState, dict[PortEvent, PortState]]] = {
    S.INITIALIZING: _ORDINARY[S.INITIALIZING],
    S.FAULTY: _ORDINARY[S.FAULTY],
    S.DISABLED: _ORDINARY[S.DISABLED],
    # A clock made slave-only while mastering falls back to listening.
    **{
        state: {
            **_COMMON,
            **_TO_LISTENING,
            E.RS_SLAVE: S.UNCALIBRATED,
            E.RS_SLAVE_NEW_PARENT: S.UNCALIBRATED,
        }
        for state in (S.LISTENING, S.PRE_MASTER, S.MASTER, S.PASSIVE)
    },
    S.UNCALIBRATED: {
        **_COMMON,
        **_TO_LISTENING,
        E.RS_SLAVE: S.UNCALIBRATED,
        E.RS_SLAVE_NEW_PARENT: S.UNCALIBRATED,
        E.MASTER_CLOCK_SELECTED: S.SLAVE,
    },
    S.SLAVE: {
        **_COMMON,
        **_TO_LISTENING,
        E.RS_SLAVE: S.SLAVE,
        E.RS_SLAVE_NEW_PARENT: S.UNCALIBRATED,
        E.SYNCHRONIZATION_FAULT: S.UNCALIBRATED,
    },
}


def next_state(state: PortState, event: PortEvent, *, slave_only: bool = False) -> PortState:
    """The state after ``event``; INITIALIZE restarts any state."""
    if event is PortEvent.INITIALIZE:
        return PortState.INITIALIZING
    table = _SLAVE_ONLY if slave_only else _ORDINARY
    return table.get(state, {}).get(event, state)
