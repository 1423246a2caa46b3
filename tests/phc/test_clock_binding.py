# SPDX-License-Identifier: GPL-2.0-or-later
"""The libc bindings against the running kernel: reads agree with Python's own
clock reads and with glibc's adjtimex(); failures come back as our errors.

Nothing here steers a clock: clock_adjtime is only called with modes = 0.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phc import PhcError, PhcNotFoundError, PhcNotSupportedError, PhcPermissionError, SystemClock
from phc.libc import clock_adjtime, clock_gettime_ns, fd_to_clockid
from phc.phc_clock import PhcClock
from phc.timex_uapi import (
    CLOCK_MONOTONIC,
    CLOCK_REALTIME,
    CLOCK_TAI,
    ppb_to_scaled_ppm,
    scaled_ppm_to_ppb,
    step_request,
    timex,
)

# Fields of the kernel's NTP state that do not move by themselves (maxerror
# and esterror grow every second, so they are not compared).
STABLE_FIELDS = ("freq", "status", "constant", "precision", "tolerance", "tick", "tai")

ADJTIMEX_ORACLE = r"""
#include <stdio.h>
#include <sys/timex.h>
/* Reads the kernel's NTP state with glibc's adjtimex(), modes = 0: read-only. */
int main(void)
{
    struct timex tx = { .modes = 0 };
    int state = adjtimex(&tx);
    printf("state %d\nfreq %ld\nstatus %d\nconstant %ld\nprecision %ld\n"
           "tolerance %ld\ntick %ld\ntai %d\n",
           state, tx.freq, tx.status, tx.constant, tx.precision, tx.tolerance, tx.tick, tx.tai);
    return state < 0;
}
"""


@pytest.fixture(scope="module")
def adjtimex_oracle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    workdir = tmp_path_factory.mktemp("adjtimex")
    (workdir / "oracle.c").write_text(ADJTIMEX_ORACLE)
    subprocess.run(["gcc", "-Wall", "-Werror", "-o", str(workdir / "oracle"), str(workdir / "oracle.c")],
                   check=True, capture_output=True, timeout=120)
    return workdir / "oracle"


def _oracle(binary: Path) -> dict[str, int]:
    out = subprocess.run([str(binary)], check=True, capture_output=True, text=True, timeout=30).stdout
    return {key: int(value) for key, value in (line.split() for line in out.splitlines())}


def _ours() -> dict[str, int]:
    tx = timex(modes=0)
    state = clock_adjtime(CLOCK_REALTIME, tx)
    assert tx.modes == 0
    return {"state": state, **{name: int(getattr(tx, name)) for name in STABLE_FIELDS}}


@pytest.mark.parametrize("clockid", [CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_TAI],
                         ids=["realtime", "monotonic", "tai"])
def test_clock_gettime_is_bracketed_by_pythons(clockid: int) -> None:
    for _ in range(20):
        before = time.clock_gettime_ns(clockid)
        ours = clock_gettime_ns(clockid)
        after = time.clock_gettime_ns(clockid)
        assert before <= ours <= after


def test_tai_is_realtime_plus_kernel_tai_offset() -> None:
    """CLOCK_TAI - CLOCK_REALTIME is the timex.tai offset the kernel reports (whole seconds)."""
    tai_offset_s = _ours()["tai"]
    realtime = clock_gettime_ns(CLOCK_REALTIME)
    tai = clock_gettime_ns(CLOCK_TAI)
    assert round((tai - realtime) / 1e9) == tai_offset_s


def test_clock_adjtime_read_matches_glibc_adjtimex(adjtimex_oracle: Path) -> None:
    """modes = 0 returns the kernel's state: the same as glibc's adjtimex() sees."""
    for _ in range(5):
        before = _oracle(adjtimex_oracle)
        ours = _ours()
        after = _oracle(adjtimex_oracle)
        if before == after:  # nobody changed the state meanwhile
            assert ours == before
            return
    pytest.fail("the kernel's NTP state kept changing during the comparison")


def test_system_clock_reads_match_glibc_adjtimex(adjtimex_oracle: Path) -> None:
    clock = SystemClock()
    state = _oracle(adjtimex_oracle)
    assert clock.frequency_ppb() == pytest.approx(state["freq"] * 1000 / 65536)
    assert clock.max_frequency_ppb() == pytest.approx(state["tolerance"] * 1000 / 65536)


def test_system_clock_is_the_identity_and_reads_realtime() -> None:
    clock = SystemClock()
    before = time.clock_gettime_ns(time.CLOCK_REALTIME)
    now = clock.now_ns()
    after = time.clock_gettime_ns(time.CLOCK_REALTIME)
    assert before <= now <= after
    assert clock.from_system_ns(now) == now
    measured = clock.offset_to_system(samples=3)
    assert (measured.offset_ns, measured.delay_ns, measured.method) == (0, 0, "identity")
    assert (clock.name, clock.kind) == ("CLOCK_REALTIME", "system")


@pytest.mark.parametrize("call", [
    lambda c: c.set_time_ns(time.time_ns()),
    lambda c: c.adjust_frequency(1.0),
    lambda c: c.step(1),
], ids=["set_time_ns", "adjust_frequency", "step"])
def test_system_clock_refuses_steering_without_opt_in(call: object) -> None:
    before = _ours()
    clock = SystemClock()
    with pytest.raises(PhcPermissionError) as info:
        call(clock)  # type: ignore[operator]
    assert str(info.value).startswith("CLOCK_REALTIME: ")
    assert "allow_steering=True" in str(info.value)
    after = _ours()
    assert after["freq"] == before["freq"]


def test_fd_to_clockid_encodes_the_fd_the_kernel_way() -> None:
    """The kernel recovers the fd as ~(id >> 3) and recognises the low bits 3."""
    for fd in (0, 3, 17, 1023, 2**20):
        clockid = fd_to_clockid(fd)
        assert -(2**31) <= clockid < 0
        assert clockid & 7 == 3
        assert ~(clockid >> 3) == fd


def test_dynamic_clock_of_a_non_clock_fd_is_rejected_by_the_kernel() -> None:
    """/dev/null is no posix clock: the kernel refuses its dynamic id, and we say so."""
    fd = os.open("/dev/null", os.O_RDONLY)
    try:
        with pytest.raises(PhcError) as info:
            clock_gettime_ns(fd_to_clockid(fd), "/dev/null")
        assert info.value.errno == errno.EINVAL
        assert str(info.value) == "/dev/null: clock_gettime: invalid argument"
        with pytest.raises(PhcError) as info:
            clock_adjtime(fd_to_clockid(fd), timex(modes=0), "/dev/null", "frequency_ppb")
        assert str(info.value).startswith("/dev/null: frequency_ppb: ")
    finally:
        os.close(fd)


def test_dev_null_is_not_a_ptp_clock() -> None:
    with pytest.raises(PhcNotSupportedError) as info:
        PhcClock("/dev/null")
    assert str(info.value) == "/dev/null: open: not a PTP clock"


def test_missing_device_is_not_found() -> None:
    if Path("/dev/ptp99").exists():
        pytest.skip("this machine really has a /dev/ptp99")
    for spec in ("/dev/ptp99", 99, "ptp99", "99"):
        with pytest.raises(PhcNotFoundError) as info:
            PhcClock(spec)  # type: ignore[arg-type]
        assert str(info.value) == "/dev/ptp99: open: no such device"


def test_missing_interface_is_not_found() -> None:
    with pytest.raises(PhcNotFoundError) as info:
        PhcClock("pbnosuch0")
    assert str(info.value) == "pbnosuch0: timestamping_info: no such interface"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_step_request_keeps_nanoseconds_in_range(delta: int) -> None:
    tx = step_request(delta)
    assert 0 <= tx.time.tv_usec < 1_000_000_000
    assert tx.time.tv_sec * 1_000_000_000 + tx.time.tv_usec == delta


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_scaled_ppm_round_trip_is_within_half_a_step(ppb: float) -> None:
    step = 1000 / 65536
    assert abs(scaled_ppm_to_ppb(ppb_to_scaled_ppm(ppb)) - ppb) <= step / 2 + 1e-9 * abs(ppb)

