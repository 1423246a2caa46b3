# SPDX-License-Identifier: GPL-2.0-or-later
"""Cuts a byte stream (serial port, pty, TCP) into lines, whatever the chunking.

Receivers end lines with CR LF, some with LF or CR alone; empty lines fall
out.  A line longer than ``max_line`` is cut off and reported once as
overlong, and its rest is skipped up to the next line end, so a receiver
that never sends a newline costs bounded memory.
"""

from __future__ import annotations

import re

_ENDS = re.compile(rb"[\r\n]")


class LineFramer:
    """Feed chunks, get complete lines (without terminators) and a count of overlong ones."""

    def __init__(self, max_line: int) -> None:
        if max_line < 1:
            raise ValueError("max_line must be positive")
        self.max_line = max_line
        self.overlong = 0
        self._buffer = bytearray()
        self._skipping = False

    def feed(self, data: bytes) -> list[bytes]:
        """Complete lines in ``data`` after what was buffered; the last partial line is kept."""
        lines: list[bytes] = []
        start = 0
        for match in _ENDS.finditer(data):
            self._take(data[start:match.start()])
            if not self._skipping and self._buffer:
                lines.append(bytes(self._buffer))
            self._buffer.clear()
            self._skipping = False
            start = match.end()
        self._take(data[start:])
        return lines

    def _take(self, piece: bytes) -> None:
        if self._skipping or not piece:
            return
        if len(self._buffer) + len(piece) > self.max_line:
            self.overlong += 1
            self._buffer.clear()
            self._skipping = True
            return
        self._buffer += piece

    def reset(self) -> None:
        """Forget a partial line (after the device was reopened)."""
        self._buffer.clear()
        self._skipping = False
