# SPDX-License-Identifier: GPL-2.0-or-later
"""A grandmaster whose PHC follows the system clock keeps real ptp4l slaves locked (acceptance 4).

Our daemon serves a simulated PHC that starts 1 ms off and runs +100 ppm
fast; `[discipline] source = "system"` steers it to CLOCK_REALTIME (phc2sys
in reverse) while its PTP port is the grandmaster of two guarded ptp4l
slaves (software timestamps).  The grandmaster's own true time error is
known exactly; the slaves report what they see, which includes the veth
path's asymmetry (microseconds).  Bounds are physical, not benchmarks: the
grandmaster's error RMS under 1 us (acceptance 4's figure), the slaves in
SLAVE with locked offsets under 100 us (what no working grandmaster
misses and a clock left at +100 ppm would leave in under a second).  The
accuracy comparison with a ptp4l grandmaster is `ptpbridge bench
ptp-slaves --disciplined`.
"""

from __future__ import annotations

import math
import time

import pytest

from nslab.peers import Ptp4l, Ptp4lConfig
from nslab.pytest_plugin import MakeLab
from ptpbridge.bench.ptp_lab import PtpbridgeGm, ptp_config
from ptpbridge.bench.ptp_slaves import disciplined_config

pytestmark = [pytest.mark.netns, pytest.mark.peers]

GM_RMS_BOUND_NS = 1_000
SLAVE_BOUND_NS = 100_000
OBSERVE_S = 8.0


def test_disciplined_grandmaster_keeps_ptp4l_slaves_locked(make_lab: MakeLab) -> None:
    lab = make_lab("star", hosts=3)
    h1, slave_hosts = lab["h1"], lab.host_list[1:]
    config = disciplined_config(ptp_config(transport="udpv4", log_sync_interval=-3))
    with PtpbridgeGm(h1, config, name="gm") as gm:
        assert gm.status()["clock"]["true_time_error_ns"] > 900_000  # it really starts 1 ms off
        gm.wait_for("the discipline locked", lambda: gm.status()["discipline"]["state"]
                    in ("locked", "locked_stable") or None, 30)
        slaves = [Ptp4l(h, Ptp4lConfig(role="slave", guarded=True, log_sync_interval=-3),
                        name=f"slave-{h.name}") for h in slave_hosts]
        try:
            for slave in slaves:
                slave.start()
            for slave in slaves:
                slave.wait_for_state("SLAVE", timeout=40)
            begin = time.monotonic()
            errors = []
            while time.monotonic() - begin < OBSERVE_S:
                errors.append(gm.status()["clock"]["true_time_error_ns"])
                time.sleep(0.2)
            offsets = {s.host.name: [o.offset_ns for o in s.offsets() if o.servo_state == 2]
                       for s in slaves}
            states = {s.host.name: s.port_state() for s in slaves}
        finally:
            for slave in slaves:
                slave.stop()
        discipline = gm.status()["discipline"]
    rms = math.sqrt(sum(e * e for e in errors) / len(errors))
    print(f"\ndisciplined grandmaster: true time error RMS {rms:.1f} ns, max {max(map(abs, errors))} ns "
          f"over {len(errors)} readings; slaves' last locked offsets "
          f"{ {name: values[-3:] for name, values in offsets.items()} }")
    assert discipline["source"] == "system" and discipline["steps"] == 1
    assert discipline["frequency_ppb"] < -99_000  # it cancels the +100 ppm
    assert rms < GM_RMS_BOUND_NS, errors
    assert states == {h.name: "SLAVE" for h in slave_hosts}
    for name, values in offsets.items():
        assert len(values) >= 8, (name, values)
        assert all(abs(v) < SLAVE_BOUND_NS for v in values[-8:]), (name, values)
