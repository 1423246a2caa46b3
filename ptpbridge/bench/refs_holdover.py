# SPDX-License-Identifier: GPL-2.0-or-later
"""The holdover run (acceptance 3): lose every reference, degrade, recover, as peers see it.

h1 runs chronyd (`local stratum 1`) as the only reference; h2 our daemon
following it (PTP grandmaster and NTP server, a short holdover budget and
degradation class 52); h3 a free-running ptp4l slave of our grandmaster
(pmc over its socket reads the grandmaster's clockClass) and a chronyd
client of our NTP server (its measurements log has the root dispersion and
leap indicator we send). The run stops h1, waits through holdover into the
degraded class, restarts h1 and waits for the lock, sampling our tracking,
pmc and our true time error all along.
"""

from __future__ import annotations

import time
from typing import Any

from ptpbridge.bench.refs_lab import PtpbridgeRefs, refs_config

POLL_S = 0.2


def _gm_class(host: Any, slave: Any) -> int | None:
    from nslab.peers import pmc

    try:
        answers = pmc(host, ["GET PARENT_DATA_SET"], uds=slave.uds_path, timeout=5)
    except Exception:
        return None
    for a in answers:
        if "gm.ClockClass" in a.fields:
            return int(a["gm.ClockClass"])
    return None


def run_holdover(hosts: list[Any], *, budget_s: float = 10.0, degraded_class: int = 52,
                 timeout_s: float = 60.0) -> dict[str, Any]:
    """The timeline: seconds from stopping the reference to each event, and the samples."""
    from nslab.peers import Chronyd, Ptp4l, Ptp4lConfig

    h1, h2, h3 = hosts[:3]
    upstream = Chronyd.server(h1, stratum=1, name="ref-a")
    ours = PtpbridgeRefs(h2, refs_config([h1.ipv4], minpoll=0, maxpoll=0, budget_s=budget_s,
                                         degraded_class=degraded_class), name="gm")
    slave = Ptp4l(h3, Ptp4lConfig(role="slave", log_announce_interval=-2), name="slave")
    client = Chronyd.client(h3, [h2.ipv4], minpoll=0, maxpoll=0, raw=True, name="client")
    restarted: Any = None
    out: dict[str, Any] = {"timeline": []}
    try:
        upstream.start()
        upstream.wait_ready()
        ours.start()
        slave.start()
        client.start()
        ours.wait_for_state("locked", timeout=40)
        ours.wait_for("pmc clockClass 6", lambda: True if _gm_class(h3, slave) == 6 else None, 40)
        # The first step leaves pre-step offsets in the clock filter for up to 8 polls, which
        # inflate jitter and so root dispersion; let them age out before the reference goes.
        ours.wait_for("root dispersion under 1 ms",
                      lambda: True if ours.tracking()["root_dispersion_ns"] < 1_000_000 else None, 40)
        steps_locked = ours.tracking()["steps"]
        time.sleep(2)
        t0 = time.monotonic()
        upstream.stop()
        events: dict[str, float] = {}
        errors: list[tuple[float, int]] = []
        phase = "lost"
        while time.monotonic() - t0 < timeout_s + budget_s:
            now = time.monotonic() - t0
            t = ours.tracking()
            gm_class = _gm_class(h3, slave)
            errors.append((now, int(t["true_time_error_ns"])))
            out["timeline"].append((round(now, 2), t["state"], t["clock_class"], gm_class,
                                    t["root_dispersion_ns"]))
            for key, hit in ((f"ours_{t['state']}", True), (f"pmc_{gm_class}", gm_class is not None)):
                if hit and key not in events:
                    events[key] = now
            if phase == "lost" and "pmc_" + str(degraded_class) in events:
                phase = "recovering"
                events["restart"] = now
                restarted = Chronyd.server(h1, stratum=1, name="ref-b").start()
            elif phase == "recovering" and t["state"] == "locked" and gm_class == 6:
                events["recovered"] = now
                break
            time.sleep(POLL_S)
        time.sleep(3)  # the NTP server's next state tick and the client's next poll
        out["events"] = events
        out["errors"] = errors
        out["steps_during"] = ours.tracking()["steps"] - steps_locked
        out["tracking"] = ours.tracking()
        measurements = [m for m in client.measurements() if m.address == h2.ipv4]
        out["client"] = [(m.time, m.leap, m.stratum, m.root_dispersion_ns) for m in measurements]
        out["max_frequency_ppb"] = 500_000
        out["degraded_class"] = degraded_class
        return out
    finally:
        client.stop()
        slave.stop()
        ours.stop()
        if restarted is not None:
            restarted.stop()
        upstream.stop()


def biggest_jump_ns(errors: list[tuple[float, int]]) -> tuple[int, float]:
    """Largest |time error| change between consecutive samples and the time between them."""
    worst, gap = 0, 0.0
    for (ta, ea), (tb, eb) in zip(errors, errors[1:]):
        if abs(eb - ea) > worst:
            worst, gap = abs(eb - ea), tb - ta
    return worst, gap


def format_holdover(r: dict[str, Any]) -> str:
    ev = r["events"]

    def at(key: str) -> str:
        return "-" if key not in ev else f"{ev[key]:6.2f} s"

    jump, gap = biggest_jump_ns(r["errors"])
    lines = ["Holdover: the only reference (chronyd on h1) stopped at 0 s, restarted once pmc showed the "
             "degraded class",
             f"ours: holdover at {at('ours_holdover')}, degraded at {at('ours_degraded')}, "
             f"locked again at {at('recovered')} (restart at {at('restart')})",
             f"pmc (ptp4l slave): clockClass 7 at {at('pmc_7')}, degraded class at "
             f"{at('pmc_' + str(r['degraded_class']))}",
             f"steps after the first lock: {r['steps_during']}; biggest |time error| change between "
             f"samples {jump / 1000:.1f} us over {gap:.2f} s",
             f"worst |true time error| during the run {max(abs(e) for _, e in r['errors']) / 1000:.1f} us"]
    disp = [(t, d) for t, leap, stratum, d in r["client"]]
    if disp:
        lines.append(f"chronyd client: {len(disp)} samples of our server, root dispersion "
                     f"{min(d for _, d in disp) / 1000:.1f} .. {max(d for _, d in disp) / 1000:.1f} us, "
                     f"leap values {sorted({leap for _, leap, _, _ in r['client']})}")
    return "\n".join(lines)

