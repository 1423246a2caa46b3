# SPDX-License-Identifier: GPL-2.0-or-later
"""Matching transmit timestamps to sends by the kernel's OPT_ID key.

With SOF_TIMESTAMPING_OPT_ID the kernel numbers every timestamped send of a
socket 0, 1, 2, ... (a u32 that wraps) and returns that number in ee_data of
the error-queue report.  The tracker mirrors that counter: one key per
successful timestamped send, plus one for a failed send that got far enough
to take one (the endpoint decides which).  It is sans-IO: deadlines are
plain numbers the caller compares with its own monotonic time.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Callable
from itertools import count

from .timestamps import PacketTimestamp

_log = logging.getLogger(__name__)
KEY_MODULUS = 1 << 32


class TxHandle:
    """What a send returns: its TX timestamp arrives later, or None on timeout.

    ``key`` is the OPT_ID key (None for a send that asked for no timestamp or
    failed); ``error`` is the send's OSError, if it failed.
    """

    __slots__ = ("key", "error", "_done", "_result", "_callbacks", "_futures", "_give_up")

    def __init__(
        self,
        key: int | None,
        give_up: Callable[[TxHandle], None] | None = None,
        error: OSError | None = None,
    ) -> None:
        self.key = key
        self.error = error
        self._done = False
        self._result: PacketTimestamp | None = None
        self._callbacks: list[Callable[[TxHandle], None]] = []
        self._futures: list[asyncio.Future[None]] = []
        self._give_up = give_up

    def __repr__(self) -> str:
        state = f"result={self._result!r}" if self._done else "pending"
        return f"TxHandle(key={self.key}, {state})"

    @property
    def done(self) -> bool:
        """True once the timestamp arrived or was given up on."""
        return self._done

    def result(self) -> PacketTimestamp | None:
        """The TX timestamp, or None (not yet, timed out, or never asked for)."""
        return self._result

    def add_done_callback(self, fn: Callable[[TxHandle], None]) -> None:
        """Call ``fn(handle)`` when resolved (at once if it already is)."""
        if self._done:
            fn(self)
        else:
            self._callbacks.append(fn)

    async def timestamp(self, timeout: float | None = None) -> PacketTimestamp | None:
        """Wait for the TX timestamp.

        The endpoint's own TX timeout always ends the wait; a shorter
        ``timeout`` here gives up earlier, and giving up counts as a timeout.
        """
        if not self._done:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._futures.append(future)
            try:
                async with asyncio.timeout(timeout):
                    await future
            except TimeoutError:
                if not self._done and self._give_up is not None:
                    self._give_up(self)
        return self._result

    def _resolve(self, result: PacketTimestamp | None) -> int:
        """Settle the handle once; returns how many callbacks raised."""
        if self._done:
            return 0
        self._done = True
        self._result = result
        self._give_up = None
        for future in self._futures:
            if not future.done():
                future.set_result(None)
        self._futures.clear()
        failures = 0
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            try:
                fn(self)
            except Exception:
                failures += 1
                _log.exception("TX timestamp callback failed for key %s", self.key)
        return failures


def resolved_handle(error: OSError | None = None) -> TxHandle:
    """A handle that will never get a timestamp (no key was taken)."""
    handle = TxHandle(None, None, error)
    handle._resolve(None)
    return handle


class TxTracker:
    """Pending sends by OPT_ID key, with their deadlines."""

    def __init__(self, first_key: int = 0) -> None:
        self._next_key = first_key % KEY_MODULUS
        self._pending: dict[int, TxHandle] = {}
        self._deadlines: list[tuple[float, int, TxHandle]] = []
        self._seq = count()

    @property
    def next_key(self) -> int:
        """The key the kernel will give the next timestamped send."""
        return self._next_key

    @property
    def pending(self) -> int:
        """Sends still waiting for their TX timestamp."""
        return len(self._pending)

    def issue(self, deadline: float, give_up: Callable[[TxHandle], None] | None = None) -> TxHandle:
        """Record a successful timestamped send, which took the next key."""
        handle = TxHandle(self._next_key, give_up)
        self._pending[self._next_key] = handle
        heapq.heappush(self._deadlines, (deadline, next(self._seq), handle))
        self.burn_key()
        return handle

    def burn_key(self) -> None:
        """A send took a key but will never produce a timestamp we wait for."""
        self._next_key = (self._next_key + 1) % KEY_MODULUS

    def match(self, key: int, stamp: PacketTimestamp) -> tuple[TxHandle | None, int]:
        """Resolve the send with ``key``; (handle or None if unknown/expired, callback failures)."""
        handle = self._pending.pop(key, None)
        if handle is None:
            return None, 0
        return handle, handle._resolve(stamp)

    def give_up(self, handle: TxHandle) -> tuple[bool, int]:
        """Stop waiting for one send: (it was pending, callback failures)."""
        if handle.key is None or self._pending.get(handle.key) is not handle:
            return False, 0
        del self._pending[handle.key]
        return True, handle._resolve(None)

    def expire(self, now: float) -> tuple[int, int]:
        """Give up on every send whose deadline is <= now: (timeouts, callback failures)."""
        timeouts = failures = 0
        while self._deadlines and self._deadlines[0][0] <= now:
            _, _, handle = heapq.heappop(self._deadlines)
            expired, failed = self.give_up(handle)
            timeouts += expired
            failures += failed
        return timeouts, failures

    def next_deadline(self) -> float | None:
        """The earliest deadline of a still-pending send (drops settled ones)."""
        while self._deadlines and self._deadlines[0][2].done:
            heapq.heappop(self._deadlines)
        return self._deadlines[0][0] if self._deadlines else None

    def cancel_all(self) -> int:
        """Resolve every pending send to None (endpoint closing); returns how many."""
        handles = list(self._pending.values())
        self._pending.clear()
        self._deadlines.clear()
        for handle in handles:
            handle._resolve(None)
        return len(handles)
