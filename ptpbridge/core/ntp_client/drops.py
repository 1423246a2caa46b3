# SPDX-License-Identifier: GPL-2.0-or-later
"""Why a reply from an upstream server was not used: every reply ends in a sample or one of these."""

from __future__ import annotations

import enum


class DropReason(enum.Enum):
    """A rejected reply, with the label a status page prints."""

    MALFORMED = "malformed"
    MODE = "not a server-mode reply"
    DUPLICATE = "duplicate or replayed reply"
    BOGUS_ORIGIN = "origin is not our latest request"
    AUTH_MISSING = "no MAC on an authenticated association"
    AUTH_BAD = "bad MAC or wrong key"
    AUTH_NAK = "crypto-NAK"
    KOD_RATE = "kiss-o'-death RATE"
    KOD_DENY = "kiss-o'-death DENY"
    KOD_RSTR = "kiss-o'-death RSTR"
    UNSYNCHRONISED = "server unsynchronised (leap 3)"
    STRATUM = "stratum 0 or above 15"
    ZERO_TIMESTAMP = "receive or transmit timestamp is zero"
    ROOT_DISTANCE = "server root distance over MAXDISP"
    REFTIME = "reference time after transmit time"
    DELAY = "round-trip delay over MAXDISP"
    STOPPED = "source stopped by kiss-o'-death"

    @property
    def label(self) -> str:
        return str(self.value)
