# SPDX-License-Identifier: GPL-2.0-or-later
"""One exception family for every clock and interface failure.

Each message names the device (or interface) and the operation, because a
time server with several clocks is unusable if an error only says "EINVAL".
"""

from __future__ import annotations

import errno
import math
import os


class PhcError(Exception):
    """A clock or timestamping operation failed; ``target`` and ``operation`` say where.

    ``errno`` is the kernel's error number, or 0 when we refused ourselves.
    """

    def __init__(self, target: str, operation: str, reason: str, err: int = 0) -> None:
        super().__init__(f"{target}: {operation}: {reason}")
        self.target = target
        self.operation = operation
        self.reason = reason
        self.errno = err


class PhcNotFoundError(PhcError):
    """The device, clock or interface does not exist."""


class PhcPermissionError(PhcError):
    """The caller may not do this (no privilege, read-only handle, or no opt-in)."""


class PhcNotSupportedError(PhcError):
    """The device or driver does not implement this operation."""


class PhcOutOfRangeError(PhcError):
    """A value lies outside what the clock accepts (e.g. beyond max_adj)."""


_NOT_FOUND = {errno.ENOENT, errno.ENODEV, errno.ENXIO}
_PERMISSION = {errno.EPERM, errno.EACCES}
_NOT_SUPPORTED = {errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOTTY, errno.ENOSYS}
_OUT_OF_RANGE = {errno.ERANGE}

# Readable reasons where strerror() would mislead (ENOTTY is "Inappropriate
# ioctl for device"; ENODEV on open means the driver is gone).
_REASONS = {
    errno.ENOENT: "no such device",
    errno.ENODEV: "no such device",
    errno.ENXIO: "no such device",
    errno.EOPNOTSUPP: "not supported by the driver",
    errno.ENOTTY: "not supported by the device",
    errno.ERANGE: "value out of range",
}


def error_from_errno(target: str, operation: str, err: int, reason: str | None = None) -> PhcError:
    """Map an errno to the matching PhcError subclass with a readable message."""
    text = reason or _REASONS.get(err) or os.strerror(err).lower()
    cls: type[PhcError]
    if err in _NOT_FOUND:
        cls = PhcNotFoundError
    elif err in _PERMISSION:
        cls = PhcPermissionError
    elif err in _NOT_SUPPORTED:
        cls = PhcNotSupportedError
    elif err in _OUT_OF_RANGE:
        cls = PhcOutOfRangeError
    else:
        cls = PhcError
    return cls(target, operation, text, err)


def require_frequency_in_range(target: str, ppb: float, limit: float) -> None:
    """Refuse a frequency adjustment the clock cannot make, before asking the kernel."""
    if not math.isfinite(ppb) or abs(ppb) > limit:
        raise PhcOutOfRangeError(
            target, "adjust_frequency",
            f"{ppb:g} ppb is beyond the clock's limit of +/-{limit:g} ppb", errno.ERANGE)
