# SPDX-License-Identifier: GPL-2.0-or-later
"""Small robust statistics the cores share (the slave's sample filters, the servos' spike gate).

Why one module: the scale factor below is a fact about the normal
distribution, not a tuning knob of either filter, so it lives in one place.
Pure functions, no state.
"""

from __future__ import annotations

# The median absolute deviation of normally distributed samples times this is their
# standard deviation (1 / the 0.75 quantile of the standard normal, 0.6745).
MAD_TO_SIGMA = 1.4826
