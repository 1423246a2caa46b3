# SPDX-License-Identifier: GPL-2.0-or-later
"""Choosing the reference that steers: by priority and health, failing over at once, back slowly.

Rules, chosen so that a reference going up and down cannot make the clock
hop (every switch resets the servo's estimate):

* While the selected reference is healthy it stays, unless a reference of
  better (lower) priority has been healthy without a break for the
  fail-back delay; then that one takes over.
* When the selected reference turns unhealthy, the best healthy one takes
  over at once (failover); with none, nothing is selected (holdover).
* With nothing selected, the best healthy reference is taken at once: a
  clock in holdover or just started wants any good reference now.

Ties in priority go to the earlier entry of the configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Choice:
    """One reference as the selector sees it at one update."""

    name: str
    priority: int
    healthy: bool


@dataclass(frozen=True, slots=True)
class Switch:
    """The selection changed: from `old` to `new` (None: nothing), and why."""

    old: str | None
    new: str | None
    reason: str


class ReferenceSelector:
    """Selection state with fail-back hysteresis; time is monotonic ns given by the caller."""

    def __init__(self, failback_delay_ns: int) -> None:
        if failback_delay_ns < 0:
            raise ValueError("fail-back delay cannot be negative")
        self.failback_delay_ns = failback_delay_ns
        self.selected: str | None = None
        self.switches = 0
        self.last_switch: Switch | None = None
        self._healthy_since: dict[str, int] = {}

    def healthy_for_ns(self, name: str, now_ns: int) -> int | None:
        """How long `name` has been healthy without a break (None: it is not)."""
        since = self._healthy_since.get(name)
        return None if since is None else now_ns - since

    def update(self, now_ns: int, choices: Sequence[Choice]) -> Switch | None:
        """Take the references' health now; returns the switch made, if any."""
        for c in choices:
            if c.healthy:
                self._healthy_since.setdefault(c.name, now_ns)
            else:
                self._healthy_since.pop(c.name, None)
        rank = {c.name: (c.priority, i) for i, c in enumerate(choices)}
        healthy = sorted((c for c in choices if c.healthy), key=lambda c: rank[c.name])
        current = next((c for c in choices if c.name == self.selected), None)
        if current is None or not current.healthy:
            new = healthy[0].name if healthy else None
            if new == self.selected:
                return None
            if current is None and self.selected is None:
                reason = "best healthy reference"
            elif new is None:
                reason = f"{self.selected} lost, nothing else healthy: holdover"
            else:
                reason = f"{self.selected} lost: failover"
            return self._switch(new, reason)
        for c in healthy:
            if rank[c.name] >= rank[current.name]:
                break
            held = self.healthy_for_ns(c.name, now_ns)
            if held is not None and held >= self.failback_delay_ns:
                return self._switch(c.name, f"preferred {c.name} healthy for "
                                            f"{held / 1e9:.1f} s: fail-back")
        return None

    def _switch(self, new: str | None, reason: str) -> Switch:
        switch = Switch(self.selected, new, reason)
        self.selected = new
        self.switches += 1
        self.last_switch = switch
        return switch
