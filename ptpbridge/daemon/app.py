"""The daemon process: clock, control socket, components, clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ptpbridge.config.models import DaemonConfig
from ptpbridge.daemon.clock_source import ServedClock, open_clock
from ptpbridge.daemon.control import ControlServer
from ptpbridge.daemon.status_models import ClockStatus, DaemonInfo, Status
from ptpbridge.timebase import Timebase

log = logging.getLogger("ptpbridge")

StatusProvider = Callable[[], Any]


def package_version() -> str:
    try:
        return version("ptpbridge")
    except PackageNotFoundError:
        return "unknown"


class Daemon:
    """Owns everything `ptpbridge run` starts; components register status sections."""

    def __init__(self, config: DaemonConfig, config_file: Path | None = None) -> None:
        self.config = config
        self.config_file = config_file
        self.timebase = Timebase(utc_offset_s=config.time.utc_offset_s)
        self.served: ServedClock | None = None
        self.status_sections: dict[str, StatusProvider] = {}
        self._started_monotonic = time.monotonic()
        self._stop = asyncio.Event()
        self._control: ControlServer | None = None

    def clock_status(self) -> ClockStatus:
        assert self.served is not None
        clock = self.served.clock
        measurement = clock.offset_to_system(samples=5)
        return ClockStatus(
            kind=clock.kind,
            name=clock.name,
            timescale=self.served.timescale.value,
            time_ns=clock.now_ns(),
            frequency_ppb=clock.frequency_ppb(),
            offset_to_system_ns=measurement.offset_ns,
            offset_delay_ns=measurement.delay_ns,
            offset_method=measurement.method,
            true_time_error_ns=self.served.true_time_error_ns(self.timebase),
        )

    def status(self) -> Status:
        info = DaemonInfo(
            version=package_version(),
            pid=os.getpid(),
            uptime_s=round(time.monotonic() - self._started_monotonic, 3),
            config_file=str(self.config_file) if self.config_file else None,
            utc_offset_s=self.timebase.utc_offset_s,
        )
        sections = {name: provider() for name, provider in self.status_sections.items()}
        return Status(daemon=info, clock=self.clock_status(), sections=sections)

    async def _handle_status(self, _request: dict[str, Any]) -> dict[str, Any]:
        return self.status().to_json_dict()

    def request_stop(self, signame: str) -> None:
        log.info("received %s, shutting down", signame)
        self._stop.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop, sig.name)
        self.served = open_clock(self.config.clock, self.timebase)
        clock = self.served.clock
        log.info("serving clock %s (%s, %s)", clock.name, clock.kind, self.served.timescale.value)
        self._control = ControlServer(self.config.control.socket, {"status": self._handle_status})
        try:
            await self._control.start()
            log.info("control socket %s", self.config.control.socket)
            await self._stop.wait()
        finally:
            await self._control.close()
            clock.close()
            log.info("stopped")
