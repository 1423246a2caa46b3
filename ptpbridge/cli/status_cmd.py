"""`ptpbridge status`: ask the running daemon, print JSON or a chronyc-like table."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from ptpbridge.cli.query import add_query_arguments, show
from ptpbridge.timebase import NS_PER_S

CLOCK_KINDS = {"phc": "PTP hardware clock", "system": "system clock, read-only", "sim": "simulated PHC"}


def register(sub: Any) -> None:
    parser = sub.add_parser("status", help="show the running daemon's state")
    add_query_arguments(parser)
    parser.set_defaults(func=run)


def format_time(ns: int, timescale: str) -> str:
    seconds, frac = divmod(ns, NS_PER_S)
    stamp = dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp}.{frac:09d} {timescale.upper()}"


def format_ns(ns: int) -> str:
    """Signed offset, exact, in the largest unit that keeps it readable (like chronyc)."""
    sign = "-" if ns < 0 else "+"
    magnitude = abs(ns)
    for unit, scale, digits in (("s", NS_PER_S, 9), ("ms", 1_000_000, 6), ("us", 1_000, 3)):
        if magnitude >= scale:
            whole, frac = divmod(magnitude, scale)
            return f"{sign}{whole}.{frac:0{digits}d} {unit}"
    return f"{sign}{magnitude} ns"


def rows_for(status: dict[str, Any]) -> list[tuple[str, str]]:
    clock = status["clock"]
    daemon = status["daemon"]
    rows = [
        ("Clock", f"{clock['name']} ({CLOCK_KINDS.get(clock['kind'], clock['kind'])})"),
        ("Time", format_time(clock["time_ns"], clock["timescale"])),
        ("Frequency", f"{clock['frequency_ppb']:+.3f} ppb"),
        ("Offset to system", f"{format_ns(clock['offset_to_system_ns'])} "
                             f"({clock['offset_method']}, delay {clock['offset_delay_ns']} ns)"),
    ]
    if clock.get("true_time_error_ns") is not None:
        rows.append(("True time error", format_ns(clock["true_time_error_ns"])))
    rows += [
        ("UTC offset", f"{daemon['utc_offset_s']} s"),
        ("Uptime", f"{daemon['uptime_s']:.1f} s"),
        ("Daemon", f"ptpbridge {daemon['version']}, pid {daemon['pid']}"),
    ]
    if status.get("discipline"):
        rows += discipline_rows(status["discipline"])
    if status.get("references"):
        r = status["references"]
        rows.append(("References", f"{r['selected'] or 'none'} selected, clock {r['state']}, "
                                   f"clockClass {r['clock_class']}, stratum {r['stratum']} "
                                   "(ptpbridge sources / tracking)"))
    if status.get("ntp"):
        rows += ntp_rows(status["ntp"])
    if status.get("ptp"):
        from ptpbridge.daemon.ptp_status import table_rows

        rows += table_rows(status["ptp"])
    if status.get("leap"):
        from ptpbridge.daemon.leap_status import table_rows as leap_rows

        rows += leap_rows(status["leap"])
    return rows


def discipline_rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    if d["source"] == "none":
        rows = [("Discipline", "none (free run)")]
    else:
        every = f" every {d['poll_interval_s']:g} s" if d["poll_interval_s"] else ""
        rows = [
            ("Discipline", f"{d['source']} ({d['last_source'] or 'no sample yet'}{every}), "
                           f"servo {d['servo']}, {d['state']}"),
            ("Servo offset", "-" if d["last_offset_ns"] is None else
             f"{format_ns(d['last_offset_ns'])}, RMS "
             + ("-" if d["rms_ns"] is None else f"{d['rms_ns']:.1f} ns")
             + f" over {d['rms_samples']} locked samples"),
            ("Servo samples", f"{d['samples']}, steps {d['steps']}"
             + ("" if d["last_step_ns"] is None else f" (last {format_ns(d['last_step_ns'])})")
             + f", errors {d['errors']}, spikes left out {d.get('rejected_samples', 0)}"),
        ]
    drift = d["drift_file"]
    if drift:
        if drift["load_error"]:
            loaded = f"bad, ignored ({drift['load_error']})"
        elif drift["loaded_ppb"] is None:
            loaded = "none at start"
        else:
            loaded = f"started at {drift['loaded_ppb']:+.3f} ppb"
        written = f"{drift['writes']} writes"
        if drift["written_ppb"] is not None:
            written += f", last {drift['written_ppb']:+.3f} ppb"
        if drift["write_error"]:
            written += f", failing ({drift['write_error']})"
        rows.append(("Drift file", f"{drift['path']}: {loaded}; {written}"))
    return rows


def ntp_rows(ntp: dict[str, Any]) -> list[tuple[str, str]]:
    counters, stamps = ntp["counters"], ntp["timestamps"]
    alive = sum(1 for w in ntp["workers"] if w["alive"])
    return [
        ("NTP server", f"stratum {ntp['stratum']}, reference {ntp['reference_id'] or '-'}, leap {ntp['leap']}, "
                       f"{alive}/{len(ntp['workers'])} workers"),
        ("NTP listening", ", ".join(
            f"{e['interface']} {e['address'] if ':' not in e['address'] else '[' + e['address'] + ']'}:{e['port']} "
            f"({e['timestamping']})" for e in ntp["listen"])),
        ("NTP requests", f"{counters.get('received', 0)} received, {counters.get('replied', 0)} replied, "
                         f"{counters.get('interleaved_replies', 0)} interleaved, "
                         f"KoD {sum(counters.get('kod_sent', {}).values())}"),
        ("NTP dropped", ", ".join(f"{k} {v}" for k, v in counters.get("dropped", {}).items())),
        ("NTP timestamps", "RX " + ", ".join(f"{k} {v}" for k, v in stamps.get("rx", {}).items())
                           + "; TX " + ", ".join(f"{k} {v}" for k, v in stamps.get("tx", {}).items())),
        ("NTP clients", str(ntp["clients"])),
    ]


def render(status: dict[str, Any]) -> str:
    rows = rows_for(status)
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}} : {value}" for name, value in rows)


def run(args: argparse.Namespace) -> int:
    return show(args, "status", render)
