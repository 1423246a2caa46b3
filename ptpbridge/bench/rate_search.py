# SPDX-License-Identifier: GPL-2.0-or-later
"""The highest request rate a server answers: raise the rate until replies go missing, then bisect.

One search for every load generator, so the NTP and PTP figures mean the
same thing: the best achieved rate whose loss stayed within `loss_limit`,
and what stopped the climb (the server, the generator itself, or max_rate).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The generator keeps up while it sends at least this share of the target.
_KEEPS_UP = 0.9
_BISECTIONS = 2


@dataclass(frozen=True, slots=True)
class RampPlan:
    """The search's limits, from a generator's JSON request (every one bounded)."""

    loss_limit: float = 0.001
    step_s: float = 1.0
    drain_s: float = 0.3
    max_seconds: float = 40.0
    start_rate: float = 2000.0
    factor: float = 1.5
    max_rate: float = 200_000.0

    @classmethod
    def from_request(cls, req: dict[str, Any], start_rate: float) -> RampPlan:
        """The plan a request asks for; `start_rate` is the generator's own default."""
        d = cls()
        return cls(loss_limit=float(req.get("loss_limit", d.loss_limit)),
                   step_s=float(req.get("step_s", d.step_s)), drain_s=float(req.get("drain_s", d.drain_s)),
                   max_seconds=float(req.get("max_seconds", d.max_seconds)),
                   start_rate=float(req.get("start_rate", start_rate)),
                   factor=float(req.get("factor", d.factor)), max_rate=float(req.get("max_rate", d.max_rate)))


@dataclass(slots=True)
class RampResult:
    """Every step run, the best one answered in full (None if none was), and what limited the climb."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    good: dict[str, Any] | None = None
    limited_by: str = "max_rate"

    @property
    def best_rate(self) -> int:
        return int(self.good["achieved"]) if self.good else 0


def rate_search(plan: RampPlan, run_step: Callable[[int, float], dict[str, Any]]) -> RampResult:
    """Step the rate up by `factor` until a step loses more than loss_limit, then bisect twice.

    ``run_step(number, target)`` runs step `number` (1, 2, ...) at `target`
    requests a second and returns its result, with "achieved", "loss" and
    "generator_drops"; the search adds "ok".
    """
    out = RampResult()
    deadline = time.monotonic() + plan.max_seconds
    bad: float | None = None

    def step(target: float) -> dict[str, Any]:
        result = run_step(len(out.steps) + 1, target)
        result["ok"] = result["loss"] <= plan.loss_limit
        out.steps.append(result)
        return result

    rate = plan.start_rate
    while rate <= plan.max_rate and time.monotonic() < deadline:
        result = step(rate)
        if result["ok"]:
            out.good = result
        else:
            bad = rate
        if result["achieved"] < _KEEPS_UP * rate:
            out.limited_by = "generator"
            break
        if not result["ok"]:
            out.limited_by = "server" if result["generator_drops"] == 0 else "generator"
            break
        rate *= plan.factor
    if out.good is not None and bad is not None:
        low, high = float(out.good["target"]), bad
        for _ in range(_BISECTIONS):
            if time.monotonic() >= deadline:
                break
            mid = (low + high) / 2
            result = step(mid)
            if result["ok"]:
                low = mid
                if result["achieved"] > out.good["achieved"]:
                    out.good = result
            else:
                high = mid
    return out
