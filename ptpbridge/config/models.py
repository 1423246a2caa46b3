"""Configuration models. Unknown keys are errors: a typo must never be
silently ignored in a time server's config."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from ptpbridge.config.base import StrictModel
from ptpbridge.config.discipline import DisciplineConfig
from ptpbridge.config.ntp import NtpConfig
from ptpbridge.config.ptp import PtpConfig
from ptpbridge.config.references import HoldoverConfig, ReferenceConfig, SelectionConfig, check_references
from ptpbridge.config.time import TimeConfig

DEFAULT_CONTROL_SOCKET = Path("/run/ptpbridge/control.sock")


class SimulatedClockConfig(StrictModel):
    """A software PHC for labs: its error against true TAI, so labs can
    measure true time error."""

    time_error_ns: int = 0
    frequency_error_ppb: float = Field(0.0, ge=-1e6, le=1e6)
    wander_ppb_per_sqrt_s: float = Field(0.0, ge=0.0)
    read_noise_ns: int = Field(0, ge=0)
    seed: int = 1


class ClockConfig(StrictModel):
    # "sim", "system", "/dev/ptpN", "ptpN", or an interface name whose PHC to use
    device: str = "sim"
    sim: SimulatedClockConfig = SimulatedClockConfig()


class ControlConfig(StrictModel):
    socket: Path = DEFAULT_CONTROL_SOCKET


class LoggingConfig(StrictModel):
    level: Literal["debug", "info", "notice", "warning", "error"] = "info"


class DaemonConfig(StrictModel):
    interfaces: list[str] = []
    clock: ClockConfig = ClockConfig()
    control: ControlConfig = ControlConfig()
    logging: LoggingConfig = LoggingConfig()
    time: TimeConfig = TimeConfig()
    # What steers the served clock; absent: it runs free.
    discipline: DisciplineConfig = DisciplineConfig()
    # NTP server; absent: none.
    ntp: NtpConfig | None = None
    # PTP grandmaster; absent: none.
    ptp: PtpConfig | None = None
    # What the clock follows (`[[reference]]`), how it degrades and switches; absent: [discipline].
    reference: list[ReferenceConfig] = []
    holdover: HoldoverConfig = HoldoverConfig()
    selection: SelectionConfig = SelectionConfig()

    @model_validator(mode="after")
    def _check_references(self) -> DaemonConfig:
        check_references(self.reference, self.discipline.source,
                         None if self.ntp is None else self.ntp.key_file,
                         self.ptp is not None and self.ptp.enabled)
        return self
