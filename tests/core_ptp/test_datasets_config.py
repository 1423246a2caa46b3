# SPDX-License-Identifier: GPL-2.0-or-later
"""Data set helpers, configuration checks, status output and interval arithmetic."""

from __future__ import annotations

import json

import pytest

from ptpbridge.core.ptp import ClockConfig, PortConfig, TimePropertiesDS
from ptpbridge.core.ptp.intervals import log_interval_ns
from ptpbridge.timebase import LeapState, Timebase
from ptpbridge.wire.ptp.constants import (
    TP_FLAG_FREQUENCY_TRACEABLE,
    TP_FLAG_LEAP59,
    TP_FLAG_LEAP61,
    TP_FLAG_PTP_TIMESCALE,
    TP_FLAG_TIME_TRACEABLE,
    TP_FLAG_UTC_OFFSET_VALID,
    DelayMechanism,
    Flag,
    TimeSource,
)
from ptpbridge.wire.ptp.values import ClockQuality

from .helpers import NS, OTHER, US, announce, make_driver, pid


def test_log_intervals_are_exact_integer_ns() -> None:
    assert log_interval_ns(0) == NS
    assert log_interval_ns(1) == 2 * NS
    assert log_interval_ns(-7) == 7_812_500
    assert log_interval_ns(-7) * 128 == NS
    with pytest.raises(ValueError):
        log_interval_ns(-10)


def test_time_properties_flags_match_the_wire_bits() -> None:
    every = TimePropertiesDS(
        current_utc_offset_valid=True, leap59=True, leap61=True, time_traceable=True,
        frequency_traceable=True, ptp_timescale=True,
    )  # fmt: skip
    assert every.flag_bits() == (
        TP_FLAG_LEAP61 | TP_FLAG_LEAP59 | TP_FLAG_UTC_OFFSET_VALID | TP_FLAG_PTP_TIMESCALE
        | TP_FLAG_TIME_TRACEABLE | TP_FLAG_FREQUENCY_TRACEABLE
    )  # fmt: skip
    assert TimePropertiesDS(ptp_timescale=False).flag_bits() == 0
    for flag in (Flag.LEAP59, Flag.TIME_TRACEABLE, Flag.PTP_TIMESCALE):
        tp = TimePropertiesDS.from_flags(int(flag) | int(Flag.TWO_STEP), 36, 0x20)
        assert tp.flag_bits() == int(flag)
        assert tp.current_utc_offset == 36 and tp.time_source == 0x20


def test_time_properties_from_the_timebase() -> None:
    tb = Timebase(utc_offset_s=37, utc_offset_valid=True, leap=LeapState.INSERT)
    tp = TimePropertiesDS.from_timebase(tb, time_source=TimeSource.GNSS, time_traceable=True)
    assert (tp.current_utc_offset, tp.current_utc_offset_valid, tp.leap61, tp.leap59) == (37, True, True, False)
    assert tp.ptp_timescale and tp.time_traceable and not tp.frequency_traceable
    assert tp.time_source == TimeSource.GNSS
    tb.leap = LeapState.DELETE
    assert TimePropertiesDS.from_timebase(tb, time_source=TimeSource.GNSS).leap59


@pytest.mark.parametrize(
    "kwargs",
    [
        {"priority1": 256},
        {"domain_number": -1},
        {"major_sdo_id": 16},
        {"slave_only": True},  # needs clockClass 255
        {"tx_timestamp_timeout_ns": 0},
        {"clock_quality": ClockQuality(6, 0x21, 0x10000)},
        {"user_description": "x" * 256},
    ],
)
def test_bad_clock_config_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ClockConfig(clock_identity=US, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"log_sync_interval": -8},
        {"announce_receipt_timeout": 1},
        {"log_announce_interval": 20},
        {"delay_mechanism": DelayMechanism.COMMON_P2P},
    ],
)
def test_bad_port_config_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        PortConfig(**kwargs)  # type: ignore[arg-type]


def test_status_is_plain_data() -> None:
    d = make_driver(ports=[PortConfig(log_announce_interval=0)])
    d.receive(announce(pid(OTHER), 0, priority1=200, log_interval=0))
    d.receive(b"\x00" * 10)
    status = d.clock.status()
    data = status.as_dict()
    text = json.dumps(data)  # nothing but str/int/bool/list/dict inside
    assert json.loads(text) == json.loads(json.dumps(data))
    assert data["clock_identity"] == str(US) and data["is_grandmaster"] is True
    (port,) = data["ports"]
    assert port["state"] == "LISTENING"
    assert port["counters"]["dropped"] == {"malformed": 1}
    assert port["counters"]["received"] == {"ANNOUNCE": 1}
    (fm,) = port["foreign_masters"]
    assert fm["sender"] == str(pid(OTHER)) and fm["grandmaster_priority1"] == 200
    assert type(data["grandmaster_clock_accuracy"]) is int and type(data["time_source"]) is int
