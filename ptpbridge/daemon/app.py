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
from typing import TYPE_CHECKING, Any, Protocol

from ptpbridge.config.models import DaemonConfig
from ptpbridge.daemon.clock_source import ServedClock, open_clock
from ptpbridge.daemon.control import ControlServer, Handler
from ptpbridge.daemon.status_models import ClockStatus, DaemonInfo, Status
from ptpbridge.timebase import Timebase

if TYPE_CHECKING:
    from ptpbridge.daemon.quality import QualityBoard

log = logging.getLogger("ptpbridge")

StatusProvider = Callable[[], Any]


class Component(Protocol):
    """A service the daemon runs on its clock (PTP ports, NTP server, ...).

    Components start after the clock is open and stop before it closes; each
    contributes one section to `ptpbridge status` and may add control
    commands (name -> async handler taking the request dict).
    """

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def status(self) -> Any: ...

    def control_handlers(self) -> dict[str, Handler]: ...


# Builds the components a config asks for, once the clock is open.
ComponentFactory = Callable[["Daemon"], list[Component]]


def package_version() -> str:
    try:
        return version("ptpbridge")
    except PackageNotFoundError:
        return "unknown"


class Daemon:
    """Owns everything `ptpbridge run` starts; components register status sections."""

    def __init__(
        self,
        config: DaemonConfig,
        config_file: Path | None = None,
        component_factories: list[ComponentFactory] | None = None,
    ) -> None:
        self.config = config
        self.component_factories = component_factories or []
        self.components: list[Component] = []
        self.config_file = config_file
        self.timebase = Timebase(utc_offset_s=config.time.utc_offset_s)
        self.served: ServedClock | None = None
        # The time quality PTP and NTP announce; set by the reference manager ([[reference]]).
        self.quality: QualityBoard | None = None
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
        # The server keeps this dict, so components can add commands after it starts;
        # it starts first so a second daemon is refused before it binds any port.
        handlers: dict[str, Handler] = {"status": self._handle_status}
        try:
            self._control = ControlServer(self.config.control.socket, handlers)
            await self._control.start()
            log.info("control socket %s", self.config.control.socket)
            for factory in self.component_factories:
                self.components.extend(factory(self))
            for component in self.components:
                await component.start()
                self.status_sections[component.name] = component.status
                handlers.update(component.control_handlers())
                log.info("started %s", component.name)
            await self._stop.wait()
        finally:
            if self._control is not None:
                await self._control.close()
            for component in reversed(self.components):
                try:
                    await component.stop()
                except Exception:  # one failing stop must not leak the others
                    log.exception("stopping %s failed", component.name)
            clock.close()
            log.info("stopped")
