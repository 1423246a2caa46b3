# SPDX-License-Identifier: GPL-2.0-or-later
"""A real PTP hardware clock, read-only: caps, reads and offsets.

Runs only where a /dev/ptpN exists; nothing here steers the clock.
"""

from __future__ import annotations

import glob
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from phc import Clock, PhcClock, list_clocks
from phc.libc import clock_gettime_ns
from phc.ptp_uapi import PTP_MAX_SAMPLES

DEVICES = sorted(glob.glob("/dev/ptp[0-9]*"), key=lambda p: int(p[8:]))

pytestmark = pytest.mark.skipif(not DEVICES, reason="no /dev/ptp device on this machine")


@pytest.fixture(params=DEVICES)
def clock(request: pytest.FixtureRequest) -> Iterator[PhcClock]:
    with PhcClock(request.param, writable=False) as phc:
        yield phc


class TestRealPhcReadOnly:
    def test_is_a_clock(self, clock: PhcClock) -> None:
        assert isinstance(clock, Clock)
        assert clock.kind == "phc"
        assert clock.name in DEVICES

    def test_caps_match_sysfs(self, clock: PhcClock) -> None:
        sysfs = Path("/sys/class/ptp") / Path(clock.name).name
        caps = clock.caps()
        assert caps.max_adj_ppb == int((sysfs / "max_adjustment").read_text())
        assert caps.n_pins == int((sysfs / "n_programmable_pins").read_text())
        assert caps.n_ext_ts == int((sysfs / "n_external_timestamps").read_text())
        assert caps.n_per_out == int((sysfs / "n_periodic_outputs").read_text())
        assert caps.pps == bool(int((sysfs / "pps_available").read_text()))
        assert clock.max_frequency_ppb() == caps.max_adj_ppb

    def test_reads_advance_through_the_dynamic_clock_id(self, clock: PhcClock) -> None:
        first = clock.now_ns()
        second = clock_gettime_ns(clock.clock_id, clock.name)
        assert second >= first

    @pytest.mark.parametrize("samples", [1, 5, PTP_MAX_SAMPLES])
    def test_offset_to_system_agrees_with_a_bracketed_read(self, clock: PhcClock, samples: int) -> None:
        measured = clock.offset_to_system(samples=samples)
        assert measured.method in ("precise", "extended", "basic")
        assert measured.samples == samples
        assert measured.delay_ns >= 0
        before = time.clock_gettime_ns(time.CLOCK_REALTIME)
        phc = clock.now_ns()
        after = time.clock_gettime_ns(time.CLOCK_REALTIME)
        crude = phc - (before + (after - before) // 2)
        # Both estimate the same offset; allow the crude bracket, the measured
        # delay and 1 ms of drift between the two measurements.
        assert abs(crude - measured.offset_ns) <= (after - before) + measured.delay_ns + 1_000_000

    def test_from_system_ns_uses_the_measured_offset(self, clock: PhcClock) -> None:
        realtime = time.clock_gettime_ns(time.CLOCK_REALTIME)
        mapped = clock.from_system_ns(realtime)
        offset = clock.offset_to_system().offset_ns
        assert abs((mapped - realtime) - offset) <= 1_000_000

    def test_pins_are_listed(self, clock: PhcClock) -> None:
        pins = clock.pins()
        assert [p.index for p in pins] == list(range(clock.caps().n_pins))

    def test_discovery_lists_it(self, clock: PhcClock) -> None:
        info = {c.device: c for c in list_clocks()}[clock.name]
        assert info.max_adj_ppb == clock.caps().max_adj_ppb
        for ifname in info.interfaces:
            with PhcClock(ifname, writable=False) as by_interface:
                assert by_interface.name == clock.name

    def test_closed_clock_refuses_with_a_clear_error(self, clock: PhcClock) -> None:
        clock.close()
        with pytest.raises(Exception, match=rf"^{clock.name}: now_ns: clock is closed$"):
            clock.now_ns()
