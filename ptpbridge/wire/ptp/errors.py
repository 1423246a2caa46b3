# SPDX-License-Identifier: GPL-2.0-or-later
"""The exceptions of the PTP wire layer, so callers can count and drop."""

from __future__ import annotations


class PtpParseError(ValueError):
    """Bytes that are not a well-formed PTP message; the message says why."""


class PtpEncodeError(ValueError):
    """A field value that does not fit its wire field; the message says which."""
