# SPDX-License-Identifier: GPL-2.0-or-later
"""Reference-source building blocks: leap second table, NMEA/gpsd parsing, GNSS time.

Sans-IO: parsers take bytes or text, queries take the instant they are
about, and the GNSS combiner takes timestamps and returns offset samples.
The lab/test stand-ins (sim_receiver.py, sim_pps.py) do I/O and are
imported on their own.
"""

from ptpbridge.refs.errors import GpsdError, LeapFileError, NmeaError, RefInputError
from ptpbridge.refs.gnss import (
    FixStatus,
    GnssCombiner,
    GnssConfig,
    GnssCounters,
    GnssSample,
    GnssStatus,
    LabelConvention,
)
from ptpbridge.refs.labels import TimeLabel
from ptpbridge.refs.leapfile import SYSTEM_LEAP_FILES, LeapEntry, LeapEvent, LeapTable
from ptpbridge.refs.leapwindow import (
    DEFAULT_WINDOW_NS,
    LeapAnnouncement,
    announcement_at,
    announcement_at_tai,
)
from ptpbridge.refs.nmea import NmeaStream

__all__ = [
    "DEFAULT_WINDOW_NS",
    "SYSTEM_LEAP_FILES",
    "FixStatus",
    "GnssCombiner",
    "GnssConfig",
    "GnssCounters",
    "GnssSample",
    "GnssStatus",
    "GpsdError",
    "LabelConvention",
    "LeapAnnouncement",
    "LeapEntry",
    "LeapEvent",
    "LeapFileError",
    "LeapTable",
    "NmeaError",
    "NmeaStream",
    "RefInputError",
    "TimeLabel",
    "announcement_at",
    "announcement_at_tai",
]
