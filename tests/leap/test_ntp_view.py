# SPDX-License-Identifier: GPL-2.0-or-later
"""An NTP worker's view of the clock steps UTC at the leap's exact nanosecond, between updates.

The worker folds the UTC offset into its CLOCK_REALTIME map for speed; a
leap announced in the Timebase it received must still switch at the right
instant, not at the daemon's next state message a second later.
"""

from __future__ import annotations

from ptpbridge.daemon.ntp_clockmap import ClockMap
from ptpbridge.daemon.ntp_worker import TimeView
from ptpbridge.timebase import NS_PER_S, LeapState, PendingLeap, Timebase, Timescale

S = NS_PER_S
REALTIME = 1_798_761_600 * S  # some CLOCK_REALTIME instant (2027-01-01 00:00 UTC)


def view(kind: LeapState, map_at: int) -> TimeView:
    """A TAI clock 37 s ahead of CLOCK_REALTIME running 100 ppm fast; the leap 10 s after REALTIME."""
    new = 38 if kind is LeapState.INSERT else 36
    timebase = Timebase(37, leap=kind, pending=PendingLeap(REALTIME + 10 * S + new * S, new, kind))
    clock_map = ClockMap(map_at, map_at + 37 * S, 1_000_000, 1_000_100)
    return TimeView(clock_map, timebase, Timescale.TAI)


def test_software_stamps_follow_the_timebase_rule_to_the_nanosecond() -> None:
    for kind in (LeapState.INSERT, LeapState.DELETE):
        for map_at in (REALTIME, REALTIME + 20 * S):  # map taken before and after the leap
            v = view(kind, map_at)
            step_tai = v.timebase.utc_step_tai_ns()
            assert step_tai is not None
            # Find the CLOCK_REALTIME instant where the clock reads step_tai, then probe around it.
            rt = map_at + (step_tai - v.map.clock_ns) * v.map.sys_span // v.map.clock_span
            for probe in (*range(rt - 3, rt + 4), rt - 2 * S, rt + 2 * S, REALTIME, REALTIME + 30 * S):
                expected = v.timebase.to_utc_ns(v.map.from_system_ns(probe), Timescale.TAI)
                assert v.system_to_utc(probe) == expected, (kind, map_at, probe - rt)


def test_an_update_carries_the_leap_to_the_worker() -> None:
    source = view(LeapState.INSERT, REALTIME).timebase
    worker = TimeView(ClockMap(REALTIME, REALTIME + 37 * S), Timebase(37), Timescale.TAI)
    message = {"clock_map": ClockMap(REALTIME, REALTIME + 37 * S).to_json(), "utc_offset_s": 37,
               "timebase": source.to_json(), "timescale": "tai"}
    worker.update(message)
    assert worker.timebase == source
    after = REALTIME + 11 * S
    assert worker.system_to_utc(after) == after - S  # 38 s from the start of 23:59:60 on


def test_a_message_without_a_timebase_still_works() -> None:
    """Older daemons send only utc_offset_s: the plain offset, as before."""
    worker = TimeView(ClockMap(REALTIME, REALTIME + 37 * S), Timebase(37), Timescale.TAI)
    worker.update({"clock_map": ClockMap(REALTIME, REALTIME + 36 * S).to_json(), "utc_offset_s": 36,
                   "timescale": "tai"})
    assert worker.system_to_utc(REALTIME + 5 * S) == REALTIME + 5 * S
