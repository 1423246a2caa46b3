# SPDX-License-Identifier: GPL-2.0-or-later
"""The leap second table: IERS/NIST ``leap-seconds.list`` parsed, hash and expiry checked.

File format (as described in the file itself and by IERS/NIST): ``#`` starts a
comment; ``#$`` holds the last update and ``#@`` the expiry, both in NTP
seconds (since 1900-01-01); each data line is "NTP-seconds TAI-UTC", the
offset in force from that instant (always a UTC midnight) on.  ``#h`` is the
SHA-1 of the file's data: the digits of the ``#$`` value, of the ``#@`` value
and of every data line's two numbers, in that order, with all white space and
comments left out.  It is written as five groups of eight hex digits, whose
leading zeros some publishers drop, so the groups are compared as numbers.

With no path configured the system tzdata copy is used
(/usr/share/zoneinfo/leap-seconds.list, else tzdata's ``leapseconds``).

Instants here are POSIX nanoseconds (UTC, leap seconds not counted), so the
inserted second 23:59:60 has no number of its own: on the UTC scale the new
offset applies from the following midnight.  The TAI-scale queries have no
such gap.  A leap smear (spreading the second over hours, as some public NTP
services do) is out of scope: the project serves true UTC and TAI, and a
smeared NTP server must never feed a PTP domain.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from ptpbridge.refs.civil import (
    SECONDS_PER_DAY,
    format_utc,
    ntp_to_utc_ns,
)
from ptpbridge.refs.errors import LeapFileError
from ptpbridge.refs.tzleap import parse_tz_leapseconds
from ptpbridge.timebase import NS_PER_S, LeapState

# Where tzdata puts its copies (Debian's tzdata package ships both).
SYSTEM_LEAP_FILES = ("/usr/share/zoneinfo/leap-seconds.list", "/usr/share/zoneinfo/leapseconds")

_DIGITS = re.compile(r"[0-9]+")
_HEX_WORD = re.compile(r"[0-9a-fA-F]{1,8}")
# NTP era-0 seconds reach 2**32 in 2036; the format simply keeps counting.
_MAX_NTP_SECONDS = 2**34
_MAX_FILE_BYTES = 1 << 20


class LeapEvent(NamedTuple):
    """A leap second: the UTC instant the new offset starts, the offset, insert or delete."""

    utc_ns: int
    new_offset_s: int
    kind: LeapState


@dataclass(frozen=True, slots=True)
class LeapEntry:
    """TAI - UTC = ``offset_s`` from POSIX instant ``utc_ns`` on; ``line`` in the file."""

    utc_ns: int
    offset_s: int
    line: int | None

    @property
    def tai_ns(self) -> int:
        """The same instant on the TAI scale (unambiguous even across an inserted second)."""
        return self.utc_ns + self.offset_s * NS_PER_S


@dataclass(frozen=True, slots=True)
class _Parsed:
    entries: tuple[LeapEntry, ...]
    updated_utc_ns: int | None
    expires_utc_ns: int
    expires_line: int | None


def _ntp_value(token: str, path: str, line: int) -> int:
    if not _DIGITS.fullmatch(token):
        raise LeapFileError(path, line, "malformed line", f"{token!r} is not a number of seconds")
    value = int(token)
    if value >= _MAX_NTP_SECONDS:
        raise LeapFileError(path, line, "malformed line", f"{value} s is out of range")
    return value


def parse_leap_seconds_list(text: str, path: str, require_hash: bool = True) -> _Parsed:
    """Parse and verify a leap-seconds.list text; every problem names its line."""
    hashed: list[str] = []
    specials: dict[str, tuple[str, int]] = {}
    data: list[tuple[str, str, int]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith(("#$", "#@", "#h")):
            tag = raw[1]
            if tag in specials:
                raise LeapFileError(path, number, "malformed line", f"second '#{tag}' line")
            specials[tag] = (raw[2:].strip(), number)
            continue
        fields = raw.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) != 2:
            raise LeapFileError(path, number, "malformed line",
                                "a data line is 'NTP-seconds TAI-UTC'")
        data.append((fields[0], fields[1], number))

    stamps: dict[str, int] = {}
    for tag, name in (("$", "last update"), ("@", "expiry")):
        if tag not in specials:
            raise LeapFileError(path, None, "malformed file", f"no '#{tag}' ({name}) line")
        value, number = specials[tag]
        stamps[tag] = _ntp_value(value, path, number)
        hashed.append(value)

    entries: list[LeapEntry] = []
    for seconds_text, offset_text, number in data:
        seconds = _ntp_value(seconds_text, path, number)
        if not _DIGITS.fullmatch(offset_text) or len(offset_text) > 4:
            raise LeapFileError(path, number, "malformed line",
                                f"{offset_text!r} is not a TAI-UTC number of seconds")
        offset = int(offset_text)
        if seconds % SECONDS_PER_DAY:
            raise LeapFileError(path, number, "malformed line",
                                "an offset change must start at a UTC midnight")
        if entries:
            previous = entries[-1]
            if ntp_to_utc_ns(seconds) <= previous.utc_ns:
                raise LeapFileError(path, number, "malformed line", "entries out of order")
            if abs(offset - previous.offset_s) != 1:
                raise LeapFileError(path, number, "malformed line",
                                    f"TAI-UTC moves from {previous.offset_s} to {offset}, not by 1 s")
        entries.append(LeapEntry(ntp_to_utc_ns(seconds), offset, number))
        hashed += (seconds_text, offset_text)
    if not entries:
        raise LeapFileError(path, None, "malformed file", "no data lines")

    if "h" in specials:
        _check_hash(specials["h"], hash_words(hashed), path)
    elif require_hash:
        raise LeapFileError(path, None, "bad hash", "no '#h' line; the file cannot be verified")
    return _Parsed(tuple(entries), ntp_to_utc_ns(stamps["$"]), ntp_to_utc_ns(stamps["@"]),
                   specials["@"][1])


def _check_hash(line: tuple[str, int], expected: list[int], path: str) -> None:
    text, number = line
    words = text.split()
    if len(words) != 5 or not all(_HEX_WORD.fullmatch(w) for w in words):
        raise LeapFileError(path, number, "malformed line", "'#h' needs five hex words")
    if [int(w, 16) for w in words] != expected:
        computed = " ".join(f"{w:08x}" for w in expected)
        raise LeapFileError(path, number, "bad hash",
                            f"the data hash to {computed}; the file was edited or damaged")


def hash_words(parts: list[str]) -> list[int]:
    """The five 32-bit words of the SHA-1 over the digits of ``parts`` (update, expiry, data)."""
    digest = hashlib.sha1("".join(parts).encode("ascii")).digest()
    return [int.from_bytes(digest[i:i + 4], "big") for i in range(0, 20, 4)]


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise LeapFileError(path, None, "unreadable", exc.strerror or str(exc)) from None
    if len(data) > _MAX_FILE_BYTES:
        raise LeapFileError(path, None, "malformed file", "larger than 1 MiB")
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise LeapFileError(path, line, "malformed line", "not ASCII text") from None


def _is_tz_format(text: str) -> bool:
    """tzdata's ``leapseconds`` has 'Leap' lines; the IERS list starts data with digits."""
    return any(line.split("#", 1)[0].split()[:1] == ["Leap"] for line in text.splitlines())


@dataclass(frozen=True)
class LeapTable:
    """TAI - UTC over time, as one leap second file says, with its expiry.

    Queries take POSIX ns (UTC) or TAI ns; all are pure, "now" is the caller's.
    """

    path: str
    entries: tuple[LeapEntry, ...]
    expires_utc_ns: int
    expires_line: int | None = None
    updated_utc_ns: int | None = None
    _starts: list[int] = field(init=False, repr=False, compare=False)
    _tai_starts: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.entries:
            raise LeapFileError(self.path, None, "malformed file", "no entries")
        object.__setattr__(self, "_starts", [e.utc_ns for e in self.entries])
        object.__setattr__(self, "_tai_starts", [e.tai_ns for e in self.entries])

    # -- loading ----------------------------------------------------------

    @classmethod
    def parse(cls, text: str, path: str = "<text>", require_hash: bool = True) -> LeapTable:
        """A table from file text in either format (IERS list or tzdata ``leapseconds``)."""
        if _is_tz_format(text):
            tz = parse_tz_leapseconds(text, path)
            entries = tuple(LeapEntry(ns, off, line) for ns, off, line in tz.entries)
            return cls(path, entries, tz.expires_utc_ns, tz.expires_line, tz.updated_utc_ns)
        parsed = parse_leap_seconds_list(text, path, require_hash)
        return cls(path, parsed.entries, parsed.expires_utc_ns, parsed.expires_line,
                   parsed.updated_utc_ns)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, *, require_hash: bool = True,
             search: tuple[str, ...] = SYSTEM_LEAP_FILES) -> LeapTable:
        """Read ``path``, or with None the first of ``search`` that exists (tzdata's copies)."""
        if path is None:
            found = next((p for p in search if os.path.exists(p)), None)
            if found is None:
                raise LeapFileError(" or ".join(search), None, "missing",
                                    "no system leap second file; configure one")
            path = found
        name = os.fspath(path)
        return cls.parse(_read(name), name, require_hash)

    # -- queries ----------------------------------------------------------

    def _index(self, starts: list[int], instant_ns: int, scale: str) -> int:
        i = bisect.bisect_right(starts, instant_ns) - 1
        if i < 0:
            raise ValueError(f"{self.path}: {scale} instant before the table starts "
                             f"({format_utc(self.entries[0].utc_ns)})")
        return i

    def utc_offset_at(self, utc_ns: int) -> int:
        """TAI - UTC in seconds at a POSIX instant (the new value from the leap's midnight)."""
        return self.entries[self._index(self._starts, utc_ns, "UTC")].offset_s

    def utc_offset_at_tai(self, tai_ns: int) -> int:
        """TAI - UTC at a TAI instant; during an inserted 23:59:60 still the old value."""
        return self.entries[self._index(self._tai_starts, tai_ns, "TAI")].offset_s

    def _event(self, i: int) -> LeapEvent | None:
        """The leap that starts entry ``i`` (None past the end; entry 0 is no leap)."""
        if not 1 <= i < len(self.entries):
            return None
        entry, before = self.entries[i], self.entries[i - 1]
        kind = LeapState.INSERT if entry.offset_s > before.offset_s else LeapState.DELETE
        return LeapEvent(entry.utc_ns, entry.offset_s, kind)

    def next_leap_after(self, utc_ns: int) -> LeapEvent | None:
        """The first leap whose new offset starts strictly after ``utc_ns``, if the file has one."""
        return self._event(max(1, bisect.bisect_right(self._starts, utc_ns)))

    def next_leap_after_tai(self, tai_ns: int) -> LeapEvent | None:
        """Same on the TAI scale: during an inserted 23:59:60 this is the leap in progress."""
        return self._event(max(1, bisect.bisect_right(self._tai_starts, tai_ns)))

    def expired(self, utc_ns: int) -> bool:
        """True from the file's expiry on: it can no longer say whether a leap is coming."""
        return utc_ns >= self.expires_utc_ns

    def check_not_expired(self, utc_ns: int) -> None:
        """Raise LeapFileError naming the file and its '#@' line when it has expired."""
        if self.expired(utc_ns):
            raise LeapFileError(self.path, self.expires_line, "expired",
                                f"valid until {format_utc(self.expires_utc_ns)}, "
                                f"now is {format_utc(utc_ns)}; install a newer file")
