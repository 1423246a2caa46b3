# SPDX-License-Identifier: GPL-2.0-or-later
"""The one exception the NTP parser raises, so callers can count and drop."""

from __future__ import annotations


class NtpParseError(ValueError):
    """Bytes that are not a well-formed NTP packet; the message says why."""
