# SPDX-License-Identifier: GPL-2.0-or-later
"""Our daemon in a lab host: `ptpbridge run --clock sim`, asked over its control socket.

Its config, log and control socket sit in the host's work directory, and
it is stopped by pid like every other lab peer. The simulated clock has no
error unless the config says otherwise, so what a client or slave measures
against the lab's one CLOCK_REALTIME is our own error. Subclasses name the
status section that shows the service they test is up.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from nslab.host import Host
from nslab.peers.base import Daemon, PeerError
from ptpbridge.daemon.control import ControlError, request

# The config table every lab daemon starts with: a zero-error simulated PHC.
SIM_CLOCK_TOML = "[clock.sim]\ntime_error_ns = 0\n"


def example_with(path: Path, swaps: Mapping[str, str]) -> str:
    """The example config at ``path`` with each ``old`` text replaced by ``new``.

    Benches run the shipped examples so that what users copy is what was
    measured; an example edited so that a swapped line is gone raises
    ValueError naming the file and the line, rather than running the bench
    on settings nobody chose.
    """
    text = path.read_text(encoding="utf-8")
    for old, new in swaps.items():
        if old not in text:
            raise ValueError(f"{path} no longer has {old!r}")
        text = text.replace(old, new)
    return text


class LabDaemon(Daemon):
    """`ptpbridge run` in one lab host; started when `SECTION` of its status is up."""

    SECTION: ClassVar[str]

    def __init__(self, host: Host, config: str, name: str = "ptpbridge") -> None:
        super().__init__(host, name)
        self.config = config
        self.conf_path = self.dir / f"{name}.toml"
        self.control = self.dir / f"{name}.sock"

    def prepare(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(self.config, encoding="utf-8")

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "ptpbridge", "run", "--config", str(self.conf_path),
                "--interface", self.host.ifname, "--clock", "sim", "--control", str(self.control)]

    def start(self, timeout: float = 30.0) -> Self:
        super().start()
        self.wait_for(f"the {self.SECTION} status section", self._ready, timeout)
        return self

    def _ready(self) -> bool | None:
        try:
            section: dict[str, Any] | None = request(self.control, "status").get(self.SECTION)
        except ControlError:
            return None
        return True if section is not None and self.section_ready(section) else None

    def section_ready(self, section: dict[str, Any]) -> bool:
        """Whether the service is up once its status section exists (it is, unless overridden)."""
        return True

    def command(self, command: str, **params: Any) -> Any:
        """A control-socket command's result; PeerError with the log if the daemon died."""
        if not self.running():
            raise PeerError(f"{self.name} on {self.host.name} is not running; log:\n{self.log()[-3000:]}")
        return request(self.control, command, **params)

    def status(self) -> dict[str, Any]:
        """What `ptpbridge status --json` shows."""
        result: dict[str, Any] = self.command("status")
        return result

    def section(self) -> dict[str, Any]:
        """This daemon's `SECTION` of the status."""
        section: dict[str, Any] = self.status()[self.SECTION]
        return section
