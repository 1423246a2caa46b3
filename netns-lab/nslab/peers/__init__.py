# SPDX-License-Identifier: GPL-2.0-or-later
"""Real, unmodified peer daemons run in lab hosts, with output parsed to numbers.

Each peer writes its config, pid and log files under ``host.workdir`` and is
always stopped by pid (``stop()``, context manager, or lab.down()).
"""

from .chrony import Chronyd, ChronyMeasurement
from .ntpdig import NtpdigResult, NtpdigSample, ntpdig
from .pmc import PmcResponse, pmc
from .ptp4l import OffsetSample, PortStateChange, Ptp4l, Ptp4lConfig
from .tshark import Capture

__all__ = ["Capture", "ChronyMeasurement", "Chronyd", "NtpdigResult", "NtpdigSample", "OffsetSample",
           "PmcResponse", "PortStateChange", "Ptp4l", "Ptp4lConfig", "ntpdig", "pmc"]
