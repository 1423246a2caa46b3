# SPDX-License-Identifier: GPL-2.0-or-later
"""The leap service: keeps the daemon's Timebase in step with the leap second table.

At start it loads the table `[time] leapfile` names ("auto": the system's
IERS leap-seconds.list, else tzdata's ``leapseconds``); a missing, damaged
(hash) or expired file is reported in the status section and the log, never
fatal: without a usable file the configured ``utc_offset_s`` holds and no
leap is announced. Then, twice a second, it reads the served clock in TAI
and hands the table's view of that instant to the Timebase: the offset in
force, the flag to announce in the window before a leap, and the leap
itself, so the Timebase switches at the exact instant even between two
runs of this loop. The PTP service copies offset and flags into
timePropertiesDS before each Announce; the NTP service sends the Timebase
to its workers, which step UTC at the leap as the kernel does (see
ptpbridge.timebase). The served clock itself never steps: it runs on TAI.

`[time.lab_leap]` (labs only) replaces the file by a two-entry table with
the leap at the chosen second, and pins TAI - CLOCK_REALTIME, since the
machine's own clock does not leap.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ptpbridge.config.time import LabLeapConfig, TimeConfig
from ptpbridge.daemon.control import Handler
from ptpbridge.refs.civil import SECONDS_PER_DAY, format_utc
from ptpbridge.refs.errors import LeapFileError
from ptpbridge.refs.leapfile import SYSTEM_LEAP_FILES, LeapEntry, LeapTable
from ptpbridge.refs.leapwindow import LeapAnnouncement, announcement_at_tai
from ptpbridge.timebase import NS_PER_S, LeapState

if TYPE_CHECKING:
    from ptpbridge.daemon.app import Component, Daemon

log = logging.getLogger("ptpbridge.leap")

TICK_S = 0.5
LAB_SOURCE = "<time.lab_leap>"
# A lab table stays valid this long after its leap (it is never "expired" in a test).
_LAB_VALIDITY_NS = 366 * SECONDS_PER_DAY * NS_PER_S


@dataclass
class LeapSource:
    """The table in use (None: the configured offset alone) and what went wrong finding it."""

    table: LeapTable | None
    problems: list[str] = field(default_factory=list)


def lab_table(lab: LabLeapConfig, offset_s: int) -> LeapTable:
    """Two entries: ``offset_s`` since 1970, then one second more (or less) from ``lab.at_utc``."""
    at_ns = int(lab.at_utc.timestamp()) * NS_PER_S
    new = offset_s + (1 if lab.kind == "insert" else -1)
    return LeapTable(LAB_SOURCE, (LeapEntry(0, offset_s, None), LeapEntry(at_ns, new, None)),
                     expires_utc_ns=at_ns + _LAB_VALIDITY_NS)


def load_source(config: TimeConfig) -> LeapSource:
    """The configured table; every problem is a message, none raises."""
    if config.lab_leap is not None:
        return LeapSource(lab_table(config.lab_leap, config.utc_offset_s))
    if config.leapfile == "none":
        return LeapSource(None)
    candidates: tuple[str, ...] = SYSTEM_LEAP_FILES if config.leapfile == "auto" else (config.leapfile,)
    source = LeapSource(None)
    for path in candidates:
        try:
            source.table = LeapTable.load(path)
            return source
        except LeapFileError as exc:
            if config.leapfile != "auto" or exc.reason != "unreadable":
                source.problems.append(str(exc))
    if config.leapfile == "auto" and not source.problems:
        source.problems.append(f"no leap second file ({' or '.join(SYSTEM_LEAP_FILES)}); "
                               "install tzdata or set [time] leapfile")
    return source


class LeapService:
    """`Component` keeping the Timebase's UTC offset and leap state up to date."""

    name = "leap"

    def __init__(self, daemon: Daemon, config: TimeConfig) -> None:
        self.daemon = daemon
        self.config = config
        self.window_ns = config.leap_window_s * NS_PER_S
        self.source = LeapSource(None)
        self.announcement: LeapAnnouncement | None = None
        self.errors: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self._expiry_logged = False

    async def start(self) -> None:
        self.source = load_source(self.config)
        for problem in self.source.problems:
            log.warning("leap: %s; TAI - UTC stays %d s", problem, self.config.utc_offset_s)
        table = self.source.table
        if table is not None:
            log.info("leap: table %s, %d entries, valid until %s", table.path, len(table.entries),
                     format_utc(table.expires_utc_ns))
        if self.config.lab_leap is not None:
            # The kernel's clock never sees a lab leap: the truth keeps today's offset.
            self.daemon.timebase.kernel_offset_s = self.config.utc_offset_s
            log.warning("leap: LAB LEAP (time.lab_leap): %s at %s", self.config.lab_leap.kind,
                        self.config.lab_leap.at_utc.isoformat())
        self.update()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def control_handlers(self) -> dict[str, Handler]:
        return {}

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            self.update()

    def _tai_now(self) -> int:
        served = self.daemon.served
        assert served is not None
        return self.daemon.timebase.to_tai_ns(served.clock.now_ns(), served.timescale)

    def update(self) -> None:
        """Hand the table's view of now to the Timebase; log what changed."""
        table = self.source.table
        if table is None:
            return
        timebase = self.daemon.timebase
        try:
            announcement = announcement_at_tai(table, self._tai_now(), self.window_ns)
        except Exception as exc:  # a clock read or an instant before the table: keep the last state
            message = f"{type(exc).__name__}: {exc}"
            if message not in self.errors:
                self.errors.append(message)
                log.error("leap: cannot evaluate the table: %s", message)
            return
        before = (timebase.utc_offset_s, timebase.leap)
        announcement.apply(timebase)
        self.announcement = announcement
        if before[0] != timebase.utc_offset_s:
            log.warning("leap: TAI - UTC is now %d s (was %d s)", timebase.utc_offset_s, before[0])
        if before[1] is not timebase.leap:
            event = announcement.next_event
            if timebase.leap is LeapState.NONE:
                log.info("leap: announcement ended")
            elif event is not None:
                log.warning("leap: announcing a leap second (%s): TAI - UTC becomes %d s at %s",
                            timebase.leap.value, event.new_offset_s, format_utc(event.utc_ns))
        if announcement.expired and not self._expiry_logged:
            self._expiry_logged = True
            log.warning("leap: %s expired at %s; it can no longer announce a leap (install a newer one)",
                        table.path, format_utc(table.expires_utc_ns))

    def status(self) -> dict[str, Any]:
        timebase = self.daemon.timebase
        table = self.source.table
        status: dict[str, Any] = {
            "source": None if table is None else table.path,
            "lab": self.config.lab_leap is not None,
            "utc_offset_s": timebase.utc_offset_s,
            "leap": timebase.leap.value,
            "window_s": self.config.leap_window_s,
            "expires_utc": None if table is None else format_utc(table.expires_utc_ns),
            "expired": None,
            "next_leap": None,
            "problems": [*self.source.problems, *self.errors],
        }
        announcement = self.announcement
        if announcement is None:
            return status
        status["expired"] = announcement.expired
        if announcement.expired and table is not None:
            status["problems"].append(f"{table.path}: expired at {format_utc(table.expires_utc_ns)}")
        event = announcement.next_event
        if event is not None:
            try:
                now_utc = timebase.tai_to_utc_ns(self._tai_now())
            except Exception:
                now_utc = None
            status["next_leap"] = {
                "utc": format_utc(event.utc_ns), "utc_ns": event.utc_ns, "kind": event.kind.value,
                "new_offset_s": event.new_offset_s,
                "in_s": None if now_utc is None else round((event.utc_ns - now_utc) / NS_PER_S, 3),
            }
        return status


def leap_components(daemon: Daemon) -> list[Component]:
    """The component factory for `ptpbridge run`: always one, first, so PTP and NTP start with the right offset."""
    return [LeapService(daemon, daemon.config.time)]
