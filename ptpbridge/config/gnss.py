# SPDX-License-Identifier: GPL-2.0-or-later
"""The parts of a `type = "gnss"` reference: where pulses come from, and the lab's simulated pulses.

The reference itself (`GnssReferenceConfig`, with the receiver's device,
pairing convention and cable delay) sits with the other `[[reference]]`
entries in ptpbridge.config.references.
"""

from __future__ import annotations

from pydantic import Field

from ptpbridge.config.base import StrictModel
from ptpbridge.timebase import NS_PER_S


class PpsInputConfig(StrictModel):
    """A PHC input pin as the PPS input: EXTTS channel ``channel``; ``pin`` set to EXTTS if given."""

    channel: int = Field(0, ge=0, le=255)
    pin: int | None = Field(None, ge=0, le=255)


class SimPpsConfig(StrictModel):
    """LABS ONLY: pulses stamped by the simulated clock at the true second boundaries.

    Only with `--clock sim`: the "PHC" is the daemon's SimulatedClock, its
    error against the truth is known, and the pulses carry seeded gaussian
    ``noise_ns`` and drop out at ``dropout_rate`` (or on ``drop_seconds``).
    """

    noise_ns: float = Field(0.0, ge=0.0, le=1e8)
    delay_ns: int = Field(0, ge=0, lt=NS_PER_S)
    dropout_rate: float = Field(0.0, ge=0.0, le=1.0)
    drop_seconds: list[int] = []
    seed: int = 0
