# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge tracking`: the served clock's reference and quality, read like `chronyc tracking`.

Frequency is the adjustment applied to the served clock (ppm, fast when
positive); residual frequency is how far it is from the average locked
frequency that holdover would keep; skew is that average's spread.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from ptpbridge.cli.query import add_query_arguments, show
from ptpbridge.timebase import NS_PER_S

LEAP_TEXT = {"none": "Normal", "insert": "Insert second", "delete": "Delete second"}


def register(sub: Any) -> None:
    parser = sub.add_parser("tracking", help="the clock's reference, quality and holdover (like chronyc tracking)")
    add_query_arguments(parser)
    parser.set_defaults(func=run)


def _seconds(ns: int | float | None, signed: bool = False) -> str:
    if ns is None:
        return "-"
    return f"{ns / NS_PER_S:{'+' if signed else ''}.9f} seconds"


def _ppm(ppb: float | None, signed: bool = True) -> str:
    if ppb is None or ppb != ppb:
        return "-"
    return f"{ppb / 1000:{'+' if signed else ''}.3f} ppm"


def _utc(ns: int | None) -> str:
    if ns is None:
        return "-"
    when = dt.datetime.fromtimestamp(ns // NS_PER_S, dt.UTC)
    return when.strftime(f"%a %b %d %H:%M:%S.{ns % NS_PER_S // 1_000_000:03d} %Y")


def lines_for(t: dict[str, Any]) -> list[tuple[str, str]]:
    synced = bool(t["ntp_synchronised"])
    ref = t["reference_id"] or "-"
    freq = t.get("frequency_ppb")
    holdover = t.get("holdover_ns")
    budget = int(t.get("holdover_budget_ns") or 0)
    if holdover is None:
        hold = "-"
    else:
        hold = f"{holdover / NS_PER_S:.1f} s of {budget / NS_PER_S:.0f} s budget"
        if t.get("held_frequency_ppb") is not None:
            hold += f", holding {t['held_frequency_ppb'] / 1000:+.3f} ppm"
    return [
        ("Reference", f"{t.get('selected') or '-'} ({t.get('reference_kind') or 'none'}, refid {ref})"),
        ("State", f"{t['state']} (servo {t['servo']} {t['servo_state']})"),
        ("Stratum", str(t["stratum"]) if synced else "16 (unsynchronised)"),
        ("Clock class", f"{t['clock_class']} (accuracy 0x{t['clock_accuracy']:02X}, "
                        f"variance 0x{t['offset_scaled_log_variance']:04X})"),
        ("Ref time (UTC)", _utc(t.get("reference_utc_ns"))),
        ("Last offset", _seconds(t.get("last_offset_ns"), signed=True)),
        ("RMS offset", _seconds(t.get("rms_offset_ns"))),
        ("Frequency", "-" if freq is None else f"{abs(freq) / 1000:.3f} ppm {'fast' if freq >= 0 else 'slow'}"),
        ("Residual freq", _ppm(t.get("residual_frequency_ppb"))),
        ("Skew", _ppm(t.get("skew_ppb"), signed=False)),
        ("Root delay", _seconds(t["root_delay_ns"])),
        ("Root dispersion", _seconds(t["root_dispersion_ns"])),
        ("Error bound", _seconds(t.get("error_bound_ns"))),
        ("Update interval", "-" if t.get("update_interval_ns") is None
         else f"{t['update_interval_ns'] / NS_PER_S:.1f} seconds"),
        ("Leap status", LEAP_TEXT.get(t["leap"], t["leap"]) if synced else "Not synchronised"),
        ("Holdover", hold),
        ("Switches", f"{t['switches']} (steps {t['steps']})"),
    ] + ([("True time error", _seconds(t["true_time_error_ns"], signed=True))]
         if t.get("true_time_error_ns") is not None else [])


def render(result: dict[str, Any]) -> str:
    rows = lines_for(result)
    width = max(len(k) for k, _ in rows)
    out = [f"{k.ljust(width)} : {v}" for k, v in rows]
    if result.get("transitions"):
        out.append("Recent transitions:")
        out += [f"  {_utc(e['utc_ns'])}  {e['what']}" for e in result["transitions"][-5:]]
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    return show(args, "tracking", render, unknown="the daemon follows no references (no [[reference]] in its config)")
