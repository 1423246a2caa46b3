# SPDX-License-Identifier: GPL-2.0-or-later
"""scapy fields for PTP's composite types, valued with our value types.

A dissected field holds the same object the fast codec returns (Timestamp,
PortIdentity, ClockIdentity, ClockQuality), so the two codecs can be
compared field by field without conversion code.
"""

# scapy's field API is untyped; the ignores below are the seams to it.
# mypy: disable-error-code="misc,no-untyped-def,no-any-return,override"

from __future__ import annotations

import struct
from typing import Any

from scapy.fields import Field, SignedLongField, StrField
from scapy.volatile import RandBin, RandNum

from ptpbridge.wire.ptp.values import (
    CLOCK_IDENTITY_ZERO,
    TIMESTAMP_ZERO,
    ClockIdentity,
    ClockQuality,
    PortIdentity,
    Timestamp,
    TimeInterval,
)

_TS = struct.Struct(">HII")
_PID = struct.Struct(">8sH")
_CQ = struct.Struct(">BBH")


def _clock_identity(x: Any) -> ClockIdentity:
    """A ClockIdentity from text, an int or 8 octets."""
    if isinstance(x, ClockIdentity):
        return x
    if isinstance(x, str):
        return ClockIdentity.parse(x)
    if isinstance(x, int):
        return ClockIdentity.from_int(x)
    return ClockIdentity(x)


class ClockIdentityField(Field):  # type: ignore[type-arg]
    """8 octets, valued as ClockIdentity; accepts text, int or bytes."""

    def __init__(self, name: str, default: Any = CLOCK_IDENTITY_ZERO) -> None:
        super().__init__(name, default, "8s")

    def m2i(self, pkt: Any, x: bytes) -> ClockIdentity:
        return ClockIdentity(x)

    def i2m(self, pkt: Any, x: Any) -> bytes:
        return bytes(CLOCK_IDENTITY_ZERO if x is None else x)

    def any2i(self, pkt: Any, x: Any) -> ClockIdentity | None:
        return None if x is None else _clock_identity(x)

    def i2repr(self, pkt: Any, x: Any) -> str:
        return str(x)

    def randval(self) -> Any:
        return RandBin(8)


class PortIdentityField(Field):  # type: ignore[type-arg]
    """clockIdentity + portNumber (10 octets), valued as PortIdentity."""

    def __init__(self, name: str, default: Any = None) -> None:
        if default is None:
            default = PortIdentity(CLOCK_IDENTITY_ZERO, 0)
        super().__init__(name, default, "10s")

    def m2i(self, pkt: Any, x: bytes) -> PortIdentity:
        ci, pn = _PID.unpack(x)
        return PortIdentity(ClockIdentity(ci), pn)

    def i2m(self, pkt: Any, x: Any) -> bytes:
        ci, pn = x
        if len(ci) != 8:
            raise ValueError(f"{self.name}: a clockIdentity has 8 octets")
        return _PID.pack(bytes(ci), pn)

    def any2i(self, pkt: Any, x: Any) -> PortIdentity | None:
        if x is None or isinstance(x, PortIdentity):
            return x
        if isinstance(x, str):
            return PortIdentity.parse(x)
        ci, pn = x
        return PortIdentity(_clock_identity(ci), int(pn))

    def i2repr(self, pkt: Any, x: Any) -> str:
        return str(x)

    def randval(self) -> Any:
        return RandBin(10)


class Held:
    """Holds a Timestamp or ClockQuality inside scapy.

    scapy reads a field value that is a tuple of two or three ints as a
    range of values to generate packets from; boxing the value keeps it one
    value. Attribute access (``pkt.originTimestamp``) unboxes it.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return bool(self.value == (other.value if isinstance(other, Held) else other))

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return repr(self.value)


def _unheld(x: Any) -> Any:
    return x.value if isinstance(x, Held) else x


class TimestampField(Field):  # type: ignore[type-arg]
    """UInteger48 seconds + UInteger32 nanoseconds, valued as Timestamp.

    An int is taken as nanoseconds (Timestamp.from_ns).
    """

    def __init__(self, name: str, default: Any = TIMESTAMP_ZERO) -> None:
        super().__init__(name, Held(default), "10s")

    def m2i(self, pkt: Any, x: bytes) -> Held:
        hi, lo, ns = _TS.unpack(x)
        return Held(Timestamp((hi << 32) | lo, ns))

    def i2m(self, pkt: Any, x: Any) -> bytes:
        sec, ns = _unheld(x)
        return _TS.pack(sec >> 32, sec & 0xFFFFFFFF, ns)

    def any2i(self, pkt: Any, x: Any) -> Held | None:
        x = _unheld(x)
        if x is None:
            return None
        if isinstance(x, int):
            return Held(Timestamp.from_ns(x))
        sec, ns = x
        return Held(Timestamp(int(sec), int(ns)))

    h2i = any2i

    def i2h(self, pkt: Any, x: Any) -> Timestamp | None:
        return _unheld(x)

    def i2repr(self, pkt: Any, x: Any) -> str:
        return str(_unheld(x))

    def randval(self) -> Any:
        return RandBin(10)


class ClockQualityField(Field):  # type: ignore[type-arg]
    """clockClass, clockAccuracy, offsetScaledLogVariance (4 octets), valued as ClockQuality."""

    def __init__(self, name: str, default: Any = ClockQuality(248, 0xFE, 0xFFFF)) -> None:
        super().__init__(name, Held(default), "4s")

    def m2i(self, pkt: Any, x: bytes) -> Held:
        return Held(ClockQuality(*_CQ.unpack(x)))

    def i2m(self, pkt: Any, x: Any) -> bytes:
        return _CQ.pack(*_unheld(x))

    def any2i(self, pkt: Any, x: Any) -> Held | None:
        x = _unheld(x)
        if x is None:
            return None
        return Held(ClockQuality(*(int(v) for v in x)))

    h2i = any2i

    def i2h(self, pkt: Any, x: Any) -> ClockQuality | None:
        return _unheld(x)

    def i2repr(self, pkt: Any, x: Any) -> str:
        q = _unheld(x)
        return f"class {q[0]} accuracy {q[1]:#04x} variance {q[2]:#06x}"

    def randval(self) -> Any:
        return RandBin(4)


class TimeIntervalField(SignedLongField):
    """Integer64 in 2^-16 ns (correctionField, TimeInterval); the value stays scaled."""

    def i2repr(self, pkt: Any, x: Any) -> str:
        if x is None:
            return "None"
        return f"{x} ({TimeInterval(x)})"

    def randval(self) -> Any:
        return RandNum(-(1 << 63), (1 << 63) - 1)


class PTPTextField(StrField):
    """PTPText: a length octet and that many UTF-8 octets; valued as bytes."""

    def i2len(self, pkt: Any, x: Any) -> int:
        return 1 + len(x or b"")

    def any2i(self, pkt: Any, x: Any) -> bytes | None:
        if isinstance(x, str):
            return x.encode("utf-8")
        return x

    def addfield(self, pkt: Any, s: bytes, val: Any) -> bytes:
        text = bytes(val or b"")
        if len(text) > 0xFF:
            raise ValueError(f"PTPText {self.name} longer than 255 octets")
        return s + bytes([len(text)]) + text

    def getfield(self, pkt: Any, s: bytes) -> tuple[bytes, bytes]:
        if not s:
            raise ValueError(f"PTPText {self.name}: no length octet")
        n = s[0]
        if len(s) < 1 + n:
            raise ValueError(f"PTPText {self.name}: length {n} overruns {len(s) - 1} octets")
        return s[1 + n :], s[1 : 1 + n]

    def i2repr(self, pkt: Any, x: Any) -> str:
        return repr(bytes(x or b"").decode("utf-8", "replace"))


class OptionalPTPTextField(PTPTextField):
    """A trailing PTPText that may be absent (None): MANAGEMENT_ERROR_STATUS displayData."""

    def i2len(self, pkt: Any, x: Any) -> int:
        return 0 if x is None else 1 + len(x)

    def addfield(self, pkt: Any, s: bytes, val: Any) -> bytes:
        return s if val is None else super().addfield(pkt, s, val)

    def getfield(self, pkt: Any, s: bytes) -> tuple[bytes, bytes | None]:
        if not s:
            return s, None
        return super().getfield(pkt, s)


class EvenPadField(StrField):
    """Trailing pad that makes a data field an even number of octets.

    None (the default) builds as one zero octet when the layer built so far
    is odd; dissection keeps whatever octets are left, so odd senders
    round-trip byte for byte.
    """

    def __init__(self, name: str = "pad") -> None:
        super().__init__(name, None)

    def addfield(self, pkt: Any, s: bytes, val: Any) -> bytes:
        if val is None:
            val = b"\x00" * (len(s) & 1)
        return s + bytes(val)

    def i2len(self, pkt: Any, x: Any) -> int:
        return len(x or b"")

