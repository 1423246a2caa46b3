# SPDX-License-Identifier: GPL-2.0-or-later
"""The leap service's lines in `ptpbridge status` (chronyc tracking's "Leap status" and more)."""

from __future__ import annotations

from typing import Any

# chronyc tracking's wording for the leap state.
LEAP_WORDS = {"none": "Normal", "insert": "Insert second", "delete": "Delete second"}


def table_rows(leap: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows for the status table from the `leap` section."""
    rows = [("Leap status", LEAP_WORDS.get(leap["leap"], leap["leap"]))]
    source = leap["source"] or "none (configured UTC offset)"
    if leap["lab"]:
        source += " -- LAB LEAP, not for real use"
    if leap["expires_utc"]:
        source += f", valid until {leap['expires_utc']}"
    rows.append(("Leap source", source))
    event = leap["next_leap"]
    if event is not None:
        when = "" if event["in_s"] is None else f" (in {event['in_s']:.0f} s)"
        rows.append(("Next leap", f"{event['kind']} before {event['utc']}{when}, "
                                  f"TAI - UTC then {event['new_offset_s']} s"))
    rows += [("Leap problem", problem) for problem in leap["problems"]]
    return rows
