# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge sources` reads one way on every row: the reference minus our clock, as chronyc.

The same clock error, our clock 250 us ahead of the truth, measured three
ways: an NTP exchange with a server on the truth (the client core's row), a
GNSS receiver (a real pty carrying the stand-in's NMEA, simulated PPS edges
stamped by the SimulatedClock) and a PTP reference noting the slave's
offset from master. Every row must show -250 us, and the table's "Last
sample" column must read the same for all three.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from pathlib import Path

from phc import SimulatedClock
from ptpbridge.cli.sources_cmd import HEADER, row_cells
from ptpbridge.config.loader import validate_config
from ptpbridge.config.references import GnssReferenceConfig, PtpReferenceConfig
from ptpbridge.core.ntp_client import NtpSource, Sample
from ptpbridge.core.ntp_client.status import SourceState, Verdict
from ptpbridge.daemon.clock_source import ServedClock
from ptpbridge.daemon.gnss_reference import GnssRef
from ptpbridge.daemon.references import PtpRef
from ptpbridge.refs.gnss import GnssSample
from ptpbridge.refs.sim_receiver import SimulatedReceiver, open_pty
from ptpbridge.timebase import NS_PER_S, Timebase, Timescale
from tests.ntp_client._sim import EPOCH_UTC, SimServer, exchange, mono

AHEAD_NS = 250_000  # our clock minus the truth
# NTP's 64-bit timestamps round to fractions of a ns; the simulated PPS has no noise.
ROUNDING_NS = 2
LAST_SAMPLE = HEADER.index("Last sample")


def ntp_row() -> dict[str, object]:
    """A server on the truth seen from a clock AHEAD_NS ahead: the same as a server AHEAD_NS behind."""
    src = NtpSource("198.18.0.1", minpoll=0, maxpoll=0, iburst=True)
    sample = exchange(src, SimServer(offset_ns=-AHEAD_NS), EPOCH_UTC + 10 * NS_PER_S)
    assert isinstance(sample, Sample), sample
    return src.status(mono(EPOCH_UTC + 11 * NS_PER_S), Verdict(SourceState.SELECTED)).as_dict()


async def gnss_row(device: str) -> dict[str, object]:
    """A GnssRef on the pty with simulated PPS, its clock AHEAD_NS ahead; the row after its first sample."""
    config = validate_config(
        {"reference": [{"type": "gnss", "device": device, "sim_pps": {}}]}, Path("test.toml")).reference[0]
    assert isinstance(config, GnssReferenceConfig)
    timebase = Timebase()
    clock = SimulatedClock(offset_ns=timebase.utc_offset_ns + AHEAD_NS)
    samples: list[GnssSample] = []
    ref = GnssRef(config, ServedClock(clock, Timescale.TAI), timebase, lost_after=8,
                  on_sample=lambda _ref, sample: samples.append(sample))
    await ref.start()
    try:
        deadline = time.monotonic() + 20  # a sample needs two agreeing pulse/label pairs: ~3 s
        while not samples:
            assert time.monotonic() < deadline, ref.status()
            await asyncio.sleep(0.1)
        return ref.row(time.monotonic_ns(), "*")
    finally:
        await ref.stop()


def test_gnss_ptp_and_ntp_rows_show_the_reference_minus_our_clock() -> None:
    master, slave, path = open_pty()
    receiver = SimulatedReceiver(master)
    stop = threading.Event()
    writer = threading.Thread(target=receiver.run, args=(stop,), name="nmea stand-in", daemon=True)
    writer.start()
    try:
        gnss = asyncio.run(gnss_row(path))
    finally:
        stop.set()
        writer.join(timeout=5)
        for fd in (master, slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    ptp = PtpRef(PtpReferenceConfig(type="ptp"), lost_after=8)
    ptp.note(AHEAD_NS, 0, "port 1", 0)  # the slave's offset from master: ours minus the master's
    rows = {"ntp": ntp_row(), "gnss": gnss, "ptp": ptp.row(0, "*")}

    for kind, row in rows.items():
        shown = row["last_offset_ns"]
        assert isinstance(shown, int) and abs(shown + AHEAD_NS) <= ROUNDING_NS, (kind, row)
    assert rows["gnss"]["offset_ns"] == rows["gnss"]["last_offset_ns"]
    cells = {kind: row_cells({"symbol": "*", "state": "selected", **row})[LAST_SAMPLE]
             for kind, row in rows.items()}
    assert set(cells.values()) == {"-250us"}, cells
