# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge bench leap`: a leap second a minute from now, watched by real ptp4l, chronyd and ntpdig.

A star lab of three hosts: h1 runs our daemon (simulated PHC on TAI, PTP
grandmaster UDPv4 E2E at 8 Sync/s, NTP server) with `[time.lab_leap]`
(labs only) putting an inserted leap second ``--lead`` seconds ahead and an
announcement window of ``--window`` seconds; h2 a ptp4l slave (guarded:
its servo runs and reaches SLAVE, the machine's clock never moves;
``kernel_leap 0`` as well, so it never even asks the kernel to leap); h3 a
chronyd client (``-x``, guarded) and ntpdig. Three moments are sampled:
before the window, inside it, and after the leap. At each: the slave's
``pmc GET TIME_PROPERTIES_DATA_SET`` (currentUtcOffset, leap61), its port
state, the leap indicator chronyd logged for our packets, ntpdig's leap and
offset, and our clock's true time error.

What to expect: leap61 and LI=1 only inside the window; currentUtcOffset
37 -> 38 after the leap; the slave SLAVE throughout; our true time error
unchanged (the served clock runs on TAI and never steps); ntpdig's offset
about -1 s after the leap, because our UTC (TAI - 38) is now one second
behind the lab's CLOCK_REALTIME, which, like every real kernel that was not
told about the leap, did not insert it. There is no competing peer here:
neither ptp4l nor chronyd can schedule a leap away from a UTC midnight, so
this is a behaviour check, not a figure to compare (it prints no ratio).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import time
from typing import Any

import nslab
from nslab.peers import Chronyd, Ptp4l, Ptp4lConfig, ntpdig, pmc
from ptpbridge.bench.lab_bench import run_lab_bench
from ptpbridge.bench.ntp_lab import LAB_ALLOW
from ptpbridge.bench.ptp_lab import PtpbridgeGm, ptp_config
from ptpbridge.timebase import NS_PER_S

DESCRIPTION = "leap second: a lab leap a minute ahead, seen by ptp4l (pmc), chronyd and ntpdig"

# chronyd's measurements log: N normal, + insert, - delete, ? unsynchronised.
CHRONY_LEAP = {"N": 0, "+": 1, "-": 2, "?": 3}
# ntpdig -j's leap field (NTPsec's words for LI 0..3).
NTPDIG_LEAP = {"no-leap": 0, "add-leap": 1, "del-leap": 2, "unsync": 3}


def daemon_config(at: dt.datetime, window_s: int) -> str:
    """Grandmaster + NTP server, with the lab leap at ``at``."""
    allow = ", ".join(f'"{a}"' for a in LAB_ALLOW)
    extra = (f'[ntp]\nlocal_stratum = 1\nreference_id = "PHC"\nallow = [{allow}]\nworkers = 1\n'
             f"[time]\nleap_window_s = {window_s}\n"
             f"[time.lab_leap]\nat_utc = {at.strftime('%Y-%m-%dT%H:%M:%SZ')}\nkind = \"insert\"\n")
    return ptp_config(extra)


def _sleep_until(wall_s: float) -> None:
    while (left := wall_s - time.time()) > 0:
        time.sleep(min(left, 0.5))


def _sample(name: str, gm: PtpbridgeGm, slave: Ptp4l, chrony: Chronyd, lab: nslab.Lab,
            seen: int) -> dict[str, Any]:
    """Everything the peers and our daemon say now; ``seen`` chronyd samples are older."""
    h2, h3, server = lab["h2"], lab["h3"], lab["h1"].ipv4
    started = time.time()
    (tp,) = [r for r in pmc(h2, ["GET TIME_PROPERTIES_DATA_SET"], uds=slave.uds_path)
             if r.mgmt_id == "TIME_PROPERTIES_DATA_SET"]
    dig = ntpdig(h3, server)
    fresh = chrony.wait_for_measurements(1, timeout=20, after=seen)
    status = gm.status()
    return {
        "phase": name,
        "utc": dt.datetime.fromtimestamp(started, dt.UTC).strftime("%H:%M:%S"),
        "ptp_current_utc_offset": tp["currentUtcOffset"],
        "ptp_leap61": int(tp["leap61"]),
        "ptp_leap59": int(tp["leap59"]),
        "ptp_utc_offset_valid": int(tp["currentUtcOffsetValid"]),
        "slave_port_state": slave.port_state(),
        "ntpdig_leap": NTPDIG_LEAP.get(dig.leap, dig.leap),
        "ntpdig_offset_ns": dig.offset_ns,
        "chrony_leap": CHRONY_LEAP.get(fresh[-1].leap, fresh[-1].leap),
        "chrony_offset_ns": fresh[-1].offset_ns,
        "our_leap": status["leap"]["leap"],
        "our_utc_offset_s": status["leap"]["utc_offset_s"],
        "true_time_error_ns": status["clock"]["true_time_error_ns"],
        "chrony_samples": len(chrony.measurements()),
    }


def leap_scenario(lab: nslab.Lab, *, lead_s: int = 60, window_s: int = 30) -> dict[str, Any]:
    """Run the scenario in a star lab of at least three hosts; the samples and the slave's story."""
    if window_s + 15 > lead_s:
        raise ValueError("the window must open at least 15 s after start (peers need that to lock)")
    h1, h2, h3 = lab["h1"], lab["h2"], lab["h3"]
    at_s = math.ceil(time.time()) + lead_s
    at = dt.datetime.fromtimestamp(at_s, dt.UTC)
    window_open = at_s - window_s
    gm = PtpbridgeGm(h1, daemon_config(at, window_s), name="leap-gm")
    slave_config = Ptp4lConfig(role="slave", guarded=True, extra={"kernel_leap": "0"})
    samples: list[dict[str, Any]] = []
    with gm, Ptp4l(h2, slave_config, name="leap-slave") as slave, \
            Chronyd.client(h3, [h1.ipv4], minpoll=-2, maxpoll=-2, name="leap-chronyd") as chrony:
        lock = slave.wait_for_state("SLAVE", timeout=40)
        chrony.wait_for_measurements(2, timeout=30)
        if time.time() < window_open - 3:
            samples.append(_sample("before window", gm, slave, chrony, lab, len(chrony.measurements())))
        _sleep_until(window_open + 2)
        samples.append(_sample("in window", gm, slave, chrony, lab, len(chrony.measurements())))
        _sleep_until(at_s + 3)
        samples.append(_sample("after leap", gm, slave, chrony, lab, len(chrony.measurements())))
        time.sleep(2)
        states = slave.states()
        offsets = [s.offset_ns for s in slave.offsets()]
        log = gm.log()
    changes_after_lock = [f"{s.old}->{s.new} ({s.event})" for s in states if s.ts > lock.ts]
    return {
        "leap_at_utc": at.isoformat(), "leap_at_ns": at_s * NS_PER_S, "window_s": window_s,
        "samples": samples, "slave_lock": {"ts": lock.ts, "state": lock.new},
        "slave_changes_after_lock": changes_after_lock,
        "slave_offsets_last_ns": offsets[-24:],
        "daemon_leap_log": [line for line in log.splitlines() if "ptpbridge.leap" in line],
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lead", type=int, default=60, help="seconds from start to the leap (default 60)")
    parser.add_argument("--window", type=int, default=30,
                        help="announcement window before the leap, s (default 30)")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON too")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    with nslab.Lab("star", hosts=3) as lab:
        return leap_scenario(lab, lead_s=args.lead, window_s=args.window)


COLUMNS = (("phase", "phase"), ("utc", "UTC"), ("ptp_current_utc_offset", "pmc offset"),
           ("ptp_leap61", "leap61"), ("slave_port_state", "slave"), ("chrony_leap", "chronyd LI"),
           ("ntpdig_leap", "ntpdig LI"), ("ntpdig_offset_ns", "ntpdig offset ns"),
           ("true_time_error_ns", "our true TE ns"))


def table(results: dict[str, Any]) -> str:
    rows = [[title for _, title in COLUMNS]]
    rows += [[str(sample[key]) for key, _ in COLUMNS] for sample in results["samples"]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [f"leap (insert) at {results['leap_at_utc']}, window {results['window_s']} s"]
    lines += ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    offsets = results["slave_offsets_last_ns"]
    span = f"{min(offsets)} .. {max(offsets)} ns" if offsets else "none"
    lines.append(f"ptp4l slave: port changes after lock: {results['slave_changes_after_lock'] or 'none'}; "
                 f"its last {len(offsets)} offsets after the leap: {span} (about -1 s: it applied "
                 "currentUtcOffset 38 while the lab's kernel clock, like any not told of the leap, did not insert it)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    return run_lab_bench("leap", args, measure, table)
