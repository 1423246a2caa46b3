"""Status as the control socket reports it: one schema for JSON and table."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ClockStatus(BaseModel):
    kind: str
    name: str
    timescale: str
    time_ns: int
    frequency_ppb: float
    offset_to_system_ns: int
    offset_delay_ns: int
    offset_method: str
    true_time_error_ns: int | None = None


class DaemonInfo(BaseModel):
    version: str
    pid: int
    uptime_s: float
    config_file: str | None
    utc_offset_s: int


class Status(BaseModel):
    daemon: DaemonInfo
    clock: ClockStatus
    # Protocol sections (ptp, ntp) join here as their components register.
    sections: dict[str, Any] = {}

    def to_json_dict(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"sections"})
        data.update(self.sections)
        return data
