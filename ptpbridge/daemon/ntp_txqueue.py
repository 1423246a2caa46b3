# SPDX-License-Identifier: GPL-2.0-or-later
"""Replies waiting for their kernel TX timestamp, matched by OPT_ID key in send order.

The kernel numbers a socket's timestamped sends 0, 1, 2, ... (a u32 that
wraps; a send that fails early gives its number back) and reports their
timestamps in that order. So the waiting replies form a FIFO: a report
matches the head; entries ahead of it whose report never came are lost;
a report older than the head belongs to a reply already given up on. No
entry waits past its deadline. Sans-IO: times are plain integers.
"""

from __future__ import annotations

from collections import deque
from typing import Final, Generic, TypeVar

KEY_MODULUS: Final = 1 << 32

T = TypeVar("T")


class TxQueue(Generic[T]):
    """Pending timestamped sends: (OPT_ID key, what to do with the stamp, deadline)."""

    def __init__(self, first_key: int = 0) -> None:
        self.next_key = first_key % KEY_MODULUS
        self._pending: deque[tuple[int, T, int]] = deque()

    def __len__(self) -> int:
        return len(self._pending)

    def sent(self, item: T, deadline: int) -> None:
        """A timestamped send succeeded: it took the next key."""
        self._pending.append((self.next_key, item, deadline))
        self.burn_key()

    def burn_key(self) -> None:
        """A failed send still took a key (the transport says which errors do)."""
        self.next_key = (self.next_key + 1) % KEY_MODULUS

    def match(self, key: int) -> tuple[T | None, int]:
        """The item the report for `key` belongs to (None if none waits) and how many were lost before it."""
        pending = self._pending
        lost = 0
        while pending:
            behind = (key - pending[0][0]) % KEY_MODULUS
            if behind >= KEY_MODULUS // 2:
                break  # older than every waiting send
            _, item, _ = pending.popleft()
            if behind == 0:
                return item, lost
            lost += 1
        return None, lost

    def expire(self, now: int | None) -> int:
        """Give up on entries whose deadline is <= now (every entry when `now` is None); how many."""
        pending = self._pending
        gone = 0
        while pending and (now is None or pending[0][2] <= now):
            pending.popleft()
            gone += 1
        return gone
