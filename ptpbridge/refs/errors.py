# SPDX-License-Identifier: GPL-2.0-or-later
"""Errors of the reference inputs; each says where the bad input was and why.

A strict parser raises these; the streaming parsers catch them and count
them by ``reason``, so bad input from a receiver is dropped, never fatal.
"""

from __future__ import annotations


class RefInputError(Exception):
    """Malformed or unusable reference input; ``reason`` is a short counter key."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class LeapFileError(RefInputError):
    """A leap second file is malformed, fails its hash, or has expired.

    The message names the file and, where one is to blame, the line.
    """

    def __init__(self, path: str, line: int | None, reason: str, detail: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(reason, f"{where}: {reason}: {detail}")
        self.path = path
        self.line = line
        self.detail = detail


class NmeaError(RefInputError):
    """An NMEA 0183 sentence that is not well formed or not understood."""


class GpsdError(RefInputError):
    """A gpsd JSON report that is not well formed or lacks a needed member."""
