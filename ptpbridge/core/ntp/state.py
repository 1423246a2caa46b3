# SPDX-License-Identifier: GPL-2.0-or-later
"""What the server says about its own time: the input the daemon gives the NTP core.

The daemon builds a new `ServerTimeState` whenever the clock's discipline
changes (new reference, leap announcement, loss of sync) and hands it to
`NtpServerCore.set_state`. The core turns it into header fields at each
request's receive time; root dispersion grows from its base at the given
rate since the last update (RFC 5905 uses 15 ppm, PHI).

Unsynchronised (leap 3) is sent as stratum 16, RFC 5905's "unsynchronized".
chronyd 4.3 sends stratum 0 with reference id 0 in that state (observed with
this Debian build); we keep stratum 0 for kiss-o'-death packets only, as
RFC 5905 reserves it for "unspecified or invalid".
"""

from __future__ import annotations

from dataclasses import dataclass

from ptpbridge.timebase import NS_PER_S
from ptpbridge.wire.ntp.constants import PHI_PPB, STRATUM_MAX_SYNCED, STRATUM_UNSYNCHRONISED, Leap
from ptpbridge.wire.ntp.refid import refid_for_source
from ptpbridge.wire.ntp.timestamps import ns_to_ntp_short, utc_ns_to_ntp64


@dataclass(frozen=True, slots=True)
class ServerTimeState:
    """Leap, stratum, reference and error budget of the served clock (integer ns)."""

    leap: Leap = Leap.UNSYNCHRONISED
    stratum: int = STRATUM_UNSYNCHRONISED
    reference_id: bytes = b"\x00\x00\x00\x00"
    root_delay_ns: int = 0
    # Root dispersion at `reference_utc_ns`, growing by `dispersion_rate_ppb` after it.
    root_dispersion_ns: int = 0
    dispersion_rate_ppb: int = PHI_PPB
    # UTC time of the last clock update; None: never updated (sent as 0).
    reference_utc_ns: int | None = None
    precision: int = -20
    # Poll exponent to send; None echoes the client's, as chrony and ntpd do.
    poll: int | None = None

    def __post_init__(self) -> None:
        if self.leap is not Leap.UNSYNCHRONISED and not 1 <= self.stratum <= STRATUM_MAX_SYNCED:
            raise ValueError(f"a synchronised server has stratum 1..15, not {self.stratum}")
        if len(self.reference_id) != 4:
            raise ValueError("reference id must be 4 octets")
        if not -128 <= self.precision <= 127 or (self.poll is not None and not -128 <= self.poll <= 127):
            raise ValueError("precision and poll are signed 8-bit exponents")
        if self.root_delay_ns < 0 or self.root_dispersion_ns < 0 or self.dispersion_rate_ppb < 0:
            raise ValueError("root delay, dispersion and its rate cannot be negative")

    @classmethod
    def synchronised(
        cls,
        source: str,
        stratum: int,
        reference_utc_ns: int,
        *,
        leap: Leap = Leap.NONE,
        root_delay_ns: int = 0,
        root_dispersion_ns: int = 0,
        dispersion_rate_ppb: int = PHI_PPB,
        precision: int = -20,
    ) -> ServerTimeState:
        """A synchronised state; `source` is an ASCII code (PHC, GPS, PPS, LOCL) or upstream IP."""
        return cls(
            leap, stratum, refid_for_source(source), root_delay_ns, root_dispersion_ns,
            dispersion_rate_ppb, reference_utc_ns, precision,
        )

    @classmethod
    def unsynchronised(cls, precision: int = -20) -> ServerTimeState:
        """Not synchronised: leap 3, stratum 16 on the wire, reference id 0."""
        return cls(precision=precision)

    @property
    def wire_stratum(self) -> int:
        return STRATUM_UNSYNCHRONISED if self.leap is Leap.UNSYNCHRONISED else self.stratum

    @property
    def root_delay_short(self) -> int:
        return ns_to_ntp_short(self.root_delay_ns)

    @property
    def reference_ntp64(self) -> int:
        return 0 if self.reference_utc_ns is None else utc_ns_to_ntp64(self.reference_utc_ns)

    def root_dispersion_at(self, utc_ns: int) -> int:
        """Root dispersion in ns at `utc_ns`, rounded up."""
        if self.reference_utc_ns is None or utc_ns <= self.reference_utc_ns:
            return self.root_dispersion_ns
        growth = -((-(utc_ns - self.reference_utc_ns) * self.dispersion_rate_ppb) // NS_PER_S)
        return self.root_dispersion_ns + growth
