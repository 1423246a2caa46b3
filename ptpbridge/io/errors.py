# SPDX-License-Identifier: GPL-2.0-or-later
"""Errors of the I/O layer; each names the interface and the operation."""

from __future__ import annotations


class IoSetupError(Exception):
    """Opening or configuring a timestamping socket failed."""

    def __init__(self, interface: str, operation: str, reason: str) -> None:
        super().__init__(f"{interface}: {operation}: {reason}")
        self.interface = interface
        self.operation = operation
        self.reason = reason


class TimestampingUnavailable(IoSetupError):
    """The requested timestamping mode cannot work on this interface.

    Raised instead of falling back silently: a grandmaster that quietly uses
    software timestamps on a PHC is wrong by microseconds without saying so.
    """


class EndpointClosed(Exception):
    """recv() on an endpoint that has been closed."""
