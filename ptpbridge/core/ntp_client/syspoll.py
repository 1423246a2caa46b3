# SPDX-License-Identifier: GPL-2.0-or-later
"""The system poll exponent (RFC 5905 section 12/appendix local_clock): poll less while steady.

RFC 5905 lengthens the poll interval of every association while the
system offset stays within PGATE (4) times the jitter, and shortens it when
it does not, through a counter with hysteresis. The RFC adds the poll
exponent per update (LIMIT 30), which breaks for the sub-second exponents
chrony allows, so this counter moves by +1 on a steady update and -2 on an
unsteady one and steps the exponent at +/-`poll_adjust_count`: the same
"about six steady updates up, three unsteady ones down" at any exponent.

The offset compared is the combined offset of the selection: once the
servo disciplines the clock it is the residual error, so a locked clock
polls slowly and a free-running or disturbed one polls fast.
"""

from __future__ import annotations

from ptpbridge.core.ntp_client.tuning import POLL_EXP_MIN, ClientTuning


class SystemPoll:
    """Poll exponent shared by all sources, within the bounds the caller passes."""

    def __init__(self, tuning: ClientTuning, exponent: int = POLL_EXP_MIN) -> None:
        self.tuning = tuning
        self.exponent = exponent
        self._count = 0

    def update(self, offset_ns: int, jitter_ns: int, lowest: int, highest: int) -> int:
        """One fresh system update; returns the exponent clamped to [lowest, highest]."""
        self.exponent = min(max(self.exponent, lowest), highest)
        limit = self.tuning.poll_adjust_count
        if abs(offset_ns) < self.tuning.poll_gate * jitter_ns:
            self._count += 1
            if self._count >= limit:
                self._count = 0
                self.exponent = min(self.exponent + 1, highest)
        else:
            self._count -= 2
            if self._count <= -limit:
                self._count = 0
                self.exponent = max(self.exponent - 1, lowest)
        return self.exponent
