# SPDX-License-Identifier: GPL-2.0-or-later
"""Adding up the workers' counters: every worker reports the same nested shape of integers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def merge_counts(reports: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Sum nested dicts of integers key by key; a key missing in one report counts as 0."""
    total: dict[str, Any] = {}
    for report in reports:
        for key, value in report.items():
            if isinstance(value, dict):
                total[key] = merge_counts([total.get(key, {}), value])
            elif isinstance(value, int) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
            else:
                total.setdefault(key, value)
    return total
