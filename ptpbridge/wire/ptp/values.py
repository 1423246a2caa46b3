# SPDX-License-Identifier: GPL-2.0-or-later
"""PTP value types with exact integer arithmetic.

These are the types every PTP component shares (the codecs, the BMCA, the
port state machine, the servo), so they are deliberately small, immutable
and cheap to create: NamedTuples (tuple ordering is the BMCA ordering for
PortIdentity and ClockQuality) and a ``bytes`` subclass for ClockIdentity
(byte order is the numeric order the BMCA compares).

Time is integer nanoseconds everywhere. A Timestamp keeps the wire split
(48-bit seconds, 32-bit nanoseconds) so that an out-of-range nanoseconds
field read from the wire still round-trips byte for byte; a TimeInterval
(correctionField) keeps its 2^-16 ns units for the same reason.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple, Self

from ptpbridge.timebase import NS_PER_S
from ptpbridge.wire.ptp.constants import (
    CLOCK_IDENTITY_LEN,
    CORRECTION_FRACTION_BITS,
    SECONDS_MAX,
)

INT64_MIN: Final = -(1 << 63)
INT64_MAX: Final = (1 << 63) - 1
# Largest integer-ns value a Timestamp can carry.
TIMESTAMP_NS_MAX: Final = (SECONDS_MAX + 1) * NS_PER_S - 1
# correctionField value meaning "too big to be represented" (7.3.2 / 13.3.2.9).
TIME_INTERVAL_TOO_BIG: Final = INT64_MAX
_FRACTION_ONE: Final = 1 << CORRECTION_FRACTION_BITS
_HALF: Final = _FRACTION_ONE >> 1

_HEX_RE = re.compile(r"[0-9a-fA-F]+")


class ClockIdentity(bytes):
    """An 8-octet clockIdentity; compares, sorts and hashes like its bytes.

    ``str()`` gives linuxptp's spelling ``001122.fffe.334455`` so that log
    lines and pmc output can be compared by eye.
    """

    __slots__ = ()

    def __new__(cls, value: bytes | bytearray | memoryview) -> Self:
        raw = bytes(value)
        if len(raw) != CLOCK_IDENTITY_LEN:
            raise ValueError(f"clockIdentity needs {CLOCK_IDENTITY_LEN} octets, got {len(raw)}")
        return super().__new__(cls, raw)

    @classmethod
    def from_mac(cls, mac: str | bytes) -> Self:
        """EUI-64 from an EUI-48 MAC: FF FE inserted in the middle, as linuxptp does."""
        octets = _mac_octets(mac)
        return cls(octets[:3] + b"\xff\xfe" + octets[3:])

    @classmethod
    def from_int(cls, value: int) -> Self:
        if not 0 <= value < 1 << 64:
            raise ValueError(f"clockIdentity {value:#x} does not fit 64 bits")
        return cls(value.to_bytes(CLOCK_IDENTITY_LEN, "big"))

    @classmethod
    def parse(cls, text: str) -> Self:
        """Accept ``001122.fffe.334455``, ``00:11:22:ff:fe:33:44:55`` or 16 hex digits."""
        digits = re.sub(r"[.:\-\s]", "", text.strip())
        if len(digits) != 2 * CLOCK_IDENTITY_LEN or not _HEX_RE.fullmatch(digits):
            raise ValueError(f"not a clockIdentity: {text!r}")
        return cls(bytes.fromhex(digits))

    def to_int(self) -> int:
        return int.from_bytes(self, "big")

    def __str__(self) -> str:
        h = self.hex()
        return f"{h[0:6]}.{h[6:10]}.{h[10:16]}"

    def __repr__(self) -> str:
        return f"ClockIdentity.parse({str(self)!r})"


def _mac_octets(mac: str | bytes) -> bytes:
    if isinstance(mac, bytes):
        octets = mac
    else:
        digits = re.sub(r"[.:\-\s]", "", mac.strip())
        if len(digits) != 12 or not _HEX_RE.fullmatch(digits):
            raise ValueError(f"not a MAC address: {mac!r}")
        octets = bytes.fromhex(digits)
    if len(octets) != 6:
        raise ValueError(f"a MAC address has 6 octets, got {len(octets)}")
    return octets


CLOCK_IDENTITY_ALL: Final = ClockIdentity(b"\xff" * CLOCK_IDENTITY_LEN)
CLOCK_IDENTITY_ZERO: Final = ClockIdentity(bytes(CLOCK_IDENTITY_LEN))


class PortIdentity(NamedTuple):
    """clockIdentity + portNumber; tuple order is the BMCA's comparison order."""

    clock_identity: ClockIdentity
    port_number: int

    @classmethod
    def parse(cls, text: str) -> PortIdentity:
        """Accept linuxptp's ``001122.fffe.334455-1``."""
        clock, sep, port = text.strip().rpartition("-")
        if not sep or not port.isdigit():
            raise ValueError(f"not a portIdentity: {text!r}")
        number = int(port)
        if number > 0xFFFF:
            raise ValueError(f"portNumber {number} does not fit 16 bits")
        return cls(ClockIdentity.parse(clock), number)

    def __str__(self) -> str:
        return f"{self.clock_identity}-{self.port_number}"


# targetPortIdentity meaning "every port of every clock" (all ones).
PORT_IDENTITY_ALL: Final = PortIdentity(CLOCK_IDENTITY_ALL, 0xFFFF)


class Timestamp(NamedTuple):
    """A PTP Timestamp: UInteger48 seconds + UInteger32 nanoseconds (5.3.3).

    Valid values have nanoseconds < 10^9; others can be read from the wire
    and are kept as they are (``is_valid()`` tells), so rebuilding gives the
    same bytes.
    """

    seconds: int
    nanoseconds: int

    @classmethod
    def from_ns(cls, ns: int) -> Timestamp:
        if not 0 <= ns <= TIMESTAMP_NS_MAX:
            raise ValueError(f"{ns} ns is outside the PTP Timestamp range")
        seconds, nanoseconds = divmod(ns, NS_PER_S)
        return cls(seconds, nanoseconds)

    def to_ns(self) -> int:
        return self.seconds * NS_PER_S + self.nanoseconds

    def is_valid(self) -> bool:
        return 0 <= self.seconds <= SECONDS_MAX and 0 <= self.nanoseconds < NS_PER_S

    def __str__(self) -> str:
        return f"{self.seconds}.{self.nanoseconds:09d}"


TIMESTAMP_ZERO: Final = Timestamp(0, 0)


def correction_to_ns(scaled: int) -> int:
    """2^-16 ns units to ns, rounded toward minus infinity (linuxptp's ``c >> 16``)."""
    return scaled >> CORRECTION_FRACTION_BITS


def correction_round_ns(scaled: int) -> int:
    """2^-16 ns units to the nearest ns; an exact half rounds up (toward +inf)."""
    return (scaled + _HALF) >> CORRECTION_FRACTION_BITS


def ns_to_correction(ns: int) -> int:
    """Integer ns to 2^-16 ns units (exact); ValueError if it leaves Integer64."""
    scaled = ns << CORRECTION_FRACTION_BITS
    if not INT64_MIN <= scaled <= INT64_MAX:
        raise ValueError(f"{ns} ns does not fit a 64-bit correctionField")
    return scaled


class TimeInterval(NamedTuple):
    """A TimeInterval / correctionField: signed 64-bit count of 2^-16 ns (5.3.2)."""

    scaled_ns: int

    @classmethod
    def from_ns(cls, ns: int) -> TimeInterval:
        return cls(ns_to_correction(ns))

    def to_ns(self) -> int:
        """Whole ns, floor (as linuxptp reads a correctionField)."""
        return correction_to_ns(self.scaled_ns)

    def round_ns(self) -> int:
        """Nearest whole ns, halves up."""
        return correction_round_ns(self.scaled_ns)

    @property
    def fraction(self) -> int:
        """The sub-ns part in 2^-16 ns (0..65535), so that ``to_ns()*65536 + fraction`` is exact."""
        return self.scaled_ns & (_FRACTION_ONE - 1)

    def is_too_big(self) -> bool:
        """The reserved value 0x7FFF_FFFF_FFFF_FFFF: the interval did not fit."""
        return self.scaled_ns == TIME_INTERVAL_TOO_BIG

    def __str__(self) -> str:
        return f"{self.to_ns()}+{self.fraction}/65536 ns"


class ClockQuality(NamedTuple):
    """clockClass, clockAccuracy, offsetScaledLogVariance; tuple order is the BMCA order."""

    clock_class: int
    clock_accuracy: int
    offset_scaled_log_variance: int
