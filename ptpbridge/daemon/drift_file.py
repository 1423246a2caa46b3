# SPDX-License-Identifier: GPL-2.0-or-later
"""The drift file: one number, the clock's last good frequency adjustment in ppb.

Why: after a reboot or driver reload a PHC's adjustment is gone and the
oscillator is off by tens of ppm; starting from the remembered value keeps
the clock close while the servo gathers its first samples (chrony's
driftfile, for a PHC).  The value is what Clock.adjust_frequency takes, so a
clock running 100 ppm fast stores about -100000.

Writes are atomic (temporary file in the same directory, fsync, rename,
fsync of the directory), so a crash leaves the old file or the new one,
never half of one.
"""

from __future__ import annotations

import math
import os
from pathlib import Path


class DriftFileError(Exception):
    """The drift file cannot be read or written; the message names the file and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"drift file {path}: {reason}")
        self.path = path
        self.reason = reason


def read_drift(path: Path, max_frequency_ppb: float) -> float | None:
    """The stored frequency, or None when there is no file yet (a first start).

    Anything else that is not one finite number within the clock's range is
    a DriftFileError: the caller reports it and starts from zero.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DriftFileError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise DriftFileError(path, "not text") from None
    if not text:
        raise DriftFileError(path, "empty")
    try:
        value = float(text)
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise DriftFileError(path, f"not a frequency in ppb: {shown!r}") from None
    if not math.isfinite(value):
        raise DriftFileError(path, f"not a finite frequency: {text!r}")
    if abs(value) > max_frequency_ppb:
        raise DriftFileError(
            path, f"{value:+.3f} ppb is beyond the clock's limit of {max_frequency_ppb:g} ppb")
    return value


def write_drift(path: Path, frequency_ppb: float) -> None:
    """Replace the file with ``frequency_ppb`` atomically; DriftFileError on failure."""
    if not math.isfinite(frequency_ppb):
        raise DriftFileError(path, f"refusing to store a non-finite frequency {frequency_ppb!r}")
    directory = path.parent
    temporary = directory / f".{path.name}.{os.getpid()}.tmp"
    data = f"{frequency_ppb:.3f}\n".encode("ascii")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
        _sync_directory(directory)
    except OSError as exc:
        try:
            temporary.unlink()
        except OSError:
            pass
        raise DriftFileError(path, f"cannot write: {exc.strerror or exc}") from None


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
