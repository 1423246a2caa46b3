# SPDX-License-Identifier: GPL-2.0-or-later
"""The 8-bit reachability register (RFC 5905 section 13): one bit per recent poll.

Each request shifts the register left (the oldest poll falls off); a valid
reply to the latest request sets bit 0. So 0 means none of the last eight
polls was answered (unreachable), and chronyc's octal "377" means all were.
"""

from __future__ import annotations

from typing import Final

REACH_BITS: Final = 8
_MASK: Final = (1 << REACH_BITS) - 1


class ReachRegister:
    """Which of the last eight polls got a valid answer."""

    __slots__ = ("value",)

    def __init__(self, value: int = 0) -> None:
        if not 0 <= value <= _MASK:
            raise ValueError(f"reach register is {REACH_BITS} bits: {value}")
        self.value = value

    def on_poll(self) -> None:
        """A request goes out: make room for its answer."""
        self.value = (self.value << 1) & _MASK

    def on_reply(self) -> None:
        """A valid reply to the latest request arrived."""
        self.value |= 1

    @property
    def reachable(self) -> bool:
        return self.value != 0

    def missed(self, polls: int) -> bool:
        """True when none of the last `polls` polls (counted before the next shift) was answered."""
        return self.value & ((1 << polls) - 1) == 0

    @property
    def octal(self) -> str:
        """As chronyc and ntpq print it."""
        return format(self.value, "o")

    def __repr__(self) -> str:
        return f"ReachRegister(0o{self.octal})"
