# SPDX-License-Identifier: GPL-2.0-or-later
"""`[[reference]]`, `[holdover]` and `[selection]`: what the daemon follows and how it degrades.

Each `[[reference]]` is one thing the served clock can follow, written the
way a chrony.conf line reads: `type = "ntp"` with `server` (or `pool`),
`iburst`, `minpoll`, `maxpoll`, `key`; `type = "system"` (CLOCK_REALTIME,
kept on time by another program); `type = "ptp"` (the daemon's own PTP
port in SLAVE); `type = "local"` (chrony's `local stratum 10`: nothing to
follow, only what to announce when nothing else is left). `type = "gnss"`
(PPS on a PHC input, named by NMEA from the receiver's serial port).

`priority`: lower is preferred (as PTP's priority1); equal priorities keep
the file's order. `[holdover]` names the PTP clockClass values a linuxptp
user sets in ptp4l.conf (6 locked, 7 holdover within specification, then
the profile's degradation class: 52, 187 or 248) and the budget in seconds
the clock may hold over before it is announced degraded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ptpbridge.config.base import StrictModel
from ptpbridge.config.gnss import PpsInputConfig, SimPpsConfig

# chrony accepts -6 (1/64 s) up to 24; RFC 5905 stops at 17 (36 h), as the client core does.
POLL_MIN = -6
POLL_MAX = 17


class _ReferenceBase(StrictModel):
    priority: int = Field(1, ge=0, le=255)
    # A name for `ptpbridge sources` / `tracking`; default: the server, pool or type.
    name: str | None = Field(None, min_length=1, max_length=64)


class NtpReferenceConfig(_ReferenceBase):
    """An upstream NTP `server` or `pool` (host name or address)."""

    type: Literal["ntp"]
    server: str | None = Field(None, min_length=1)
    pool: str | None = Field(None, min_length=1)
    iburst: bool = False
    minpoll: int = Field(6, ge=POLL_MIN, le=POLL_MAX)
    maxpoll: int = Field(10, ge=POLL_MIN, le=POLL_MAX)
    # Symmetric key id from `key_file` (chrony's `key`); the file defaults to [ntp].key_file.
    key: int | None = Field(None, ge=1, le=0xFFFFFFFF)
    key_file: Path | None = None
    # chrony's `maxsources` for a pool.
    max_sources: int = Field(4, ge=1, le=16)
    port: int = Field(123, ge=1, le=65535)
    # Interface whose timestamps (and route) the requests use; default: the daemon's first.
    interface: str | None = None

    @model_validator(mode="after")
    def _check(self) -> NtpReferenceConfig:
        if (self.server is None) == (self.pool is None):
            raise ValueError('an ntp reference needs exactly one of "server" and "pool"')
        if self.minpoll > self.maxpoll:
            raise ValueError(f"minpoll {self.minpoll} is above maxpoll {self.maxpoll}")
        if self.key_file is not None:
            from ptpbridge.core.ntp.keys import load_key_file

            keys = load_key_file(self.key_file)  # KeyFileError (a ValueError) names file and line
            if self.key is not None and self.key not in keys:
                raise ValueError(f"key {self.key} is not in {self.key_file}")
        return self

    @property
    def label(self) -> str:
        return self.name or self.server or self.pool or "ntp"


class SystemReferenceConfig(_ReferenceBase):
    """CLOCK_REALTIME as a reference (phc2sys in reverse): another program keeps it on time."""

    type: Literal["system"]
    # Seconds between comparisons, as a power of two (chrony's `poll`).
    poll: int = Field(0, ge=-4, le=6)
    # NTP stratum announced while it is followed (the system clock's own is unknown here).
    stratum: int = Field(2, ge=1, le=15)

    @property
    def label(self) -> str:
        return self.name or "system"


class PtpReferenceConfig(_ReferenceBase):
    """The daemon's PTP port(s) in SLAVE: an upstream grandmaster."""

    type: Literal["ptp"]
    stratum: int = Field(1, ge=1, le=15)

    @property
    def label(self) -> str:
        return self.name or "ptp"


class LocalReferenceConfig(_ReferenceBase):
    """chrony's `local`: with nothing to follow (after any holdover), announce this quality."""

    type: Literal["local"]
    stratum: int = Field(10, ge=1, le=15)
    clock_class: int = Field(248, ge=0, le=255)
    reference_id: str = "LOCL"

    @property
    def label(self) -> str:
        return self.name or "local"


GPSD_DEFAULT_PORT = 2947


def parse_stream_url(device: str) -> tuple[str, str, int] | None:
    """("tcp"|"gpsd", host, port) for a network time-of-day source, None for a device path.

    "tcp://HOST:PORT" carries raw NMEA (a receiver or serial server on the network);
    "gpsd://HOST[:PORT]" is gpsd's JSON socket (port 2947 unless given). IPv6 hosts in brackets.
    """
    for scheme in ("tcp", "gpsd"):
        prefix = f"{scheme}://"
        if not device.startswith(prefix):
            continue
        rest = device[len(prefix):]
        if rest.startswith("["):
            host, _, tail = rest[1:].partition("]")
            port_text = tail[1:] if tail.startswith(":") else ("" if not tail else "?")
        else:
            host, _, port_text = rest.partition(":")
        if not host:
            raise ValueError(f"{device!r}: no host")
        if not port_text:
            if scheme == "tcp":
                raise ValueError(f"{device!r}: tcp:// needs a port (tcp://HOST:PORT)")
            return scheme, host, GPSD_DEFAULT_PORT
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError(f"{device!r}: port must be 1..65535")
        return scheme, host, int(port_text)
    return None


class GnssReferenceConfig(_ReferenceBase):
    """A GNSS receiver: PPS on a PHC input (EXTTS) named by NMEA RMC/ZDA or gpsd's reports."""

    type: Literal["gnss"]
    # Where the time of day comes from: the receiver's serial device (a pseudo-terminal in labs),
    # read raw; "tcp://HOST:PORT" for NMEA over TCP; "gpsd://HOST[:PORT]" for gpsd's JSON.
    device: str = Field(min_length=1)
    baud: int = Field(9600, ge=50, le=4_000_000)
    # "preceding": a time message names the pulse before it (usual NMEA); "following": the next.
    convention: Literal["preceding", "following"] = "preceding"
    # Antenna cable + receiver + distribution delay of the pulse edge.
    cable_delay_ns: int = Field(0, ge=0, lt=1_000_000_000)
    stratum: int = Field(1, ge=1, le=15)
    pps: PpsInputConfig | None = None
    # LABS ONLY, instead of `pps`: pulses from the simulated clock (`--clock sim`).
    sim_pps: SimPpsConfig | None = None

    @field_validator("device")
    @classmethod
    def _check_device(cls, value: str) -> str:
        parse_stream_url(value)  # ValueError names the text
        return value

    @model_validator(mode="after")
    def _one_pps(self) -> GnssReferenceConfig:
        if (self.pps is None) == (self.sim_pps is None):
            raise ValueError('a gnss reference needs exactly one of "pps" and "sim_pps"')
        return self

    @property
    def label(self) -> str:
        return self.name or "gnss"


ReferenceConfig = Annotated[
    NtpReferenceConfig | SystemReferenceConfig | PtpReferenceConfig | LocalReferenceConfig
    | GnssReferenceConfig,
    Field(discriminator="type"),
]


class HoldoverConfig(StrictModel):
    """What is announced while following, holding over, and after the budget is spent."""

    # Seconds in holdover-within-specification before the degraded class.
    budget_s: float = Field(300.0, ge=0.0, le=30 * 86400.0)
    locked_class: int = Field(6, ge=0, le=255)
    holdover_class: int = Field(7, ge=0, le=255)
    # The profile's degradation alternative: 52 (A), 187 (B) or 248 (default).
    degraded_class: int = Field(248, ge=0, le=255)
    # What a reference that has been given up on leaves; ptp4l's defaults.
    degraded_clock_accuracy: int = Field(0xFE, ge=0, le=255)
    degraded_offset_scaled_log_variance: int = Field(0xFFFF, ge=0, le=0xFFFF)
    # Frequency error assumed for the holdover error bound (RFC 5905's PHI, 15 ppm).
    drift_ppb: int = Field(15_000, ge=0, le=1_000_000)


class SelectionConfig(StrictModel):
    """Switching between references: fail over at once, fail back only after this long."""

    # A preferred reference must be healthy this long before it takes over again.
    failback_delay_s: float = Field(10.0, ge=0.0, le=86400.0)
    # A reference with no new sample in this many of its update intervals is lost.
    lost_after_intervals: int = Field(4, ge=2, le=64)


def check_references(references: list[ReferenceConfig], discipline_source: str,
                     ntp_key_file: Path | None, has_ptp: bool) -> None:
    """Checks across entries and tables; ValueError naming the key (`reference[i].key`)."""
    if not references:
        return
    if discipline_source != "none":
        raise ValueError(f'[discipline] source = "{discipline_source}" and [[reference]] entries both say '
                         'what steers the clock: list it as a [[reference]] and leave [discipline] '
                         'for the servo, thresholds and drift file')
    seen: dict[str, int] = {}
    names: set[str] = set()
    for i, ref in enumerate(references):
        if ref.type in ("system", "ptp", "local"):
            if ref.type in seen:
                raise ValueError(f'reference[{i}].type: a second "{ref.type}" reference '
                                 f"(reference[{seen[ref.type]}] is one already)")
            seen[ref.type] = i
        if ref.type == "ptp" and not has_ptp:
            raise ValueError(f'reference[{i}].type: a "ptp" reference needs a [ptp] table (its slave port)')
        if ref.label in names:
            raise ValueError(f"reference[{i}].name: {ref.label!r} names two references; set distinct names")
        names.add(ref.label)
        if isinstance(ref, NtpReferenceConfig) and ref.key is not None and ref.key_file is None:
            if ntp_key_file is None:
                raise ValueError(f"reference[{i}].key: key {ref.key} needs a key file "
                                 "(key_file in this entry or in [ntp])")
            from ptpbridge.core.ntp.keys import load_key_file

            if ref.key not in load_key_file(ntp_key_file):
                raise ValueError(f"reference[{i}].key: key {ref.key} is not in {ntp_key_file}")
