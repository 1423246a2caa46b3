# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 8, acceptance 2: the daemon follows the GNSS stand-in through a real pty and real processes.

This process writes NMEA into a pseudo-terminal (two seconds with bad
checksums); `ptpbridge run --clock sim` reads it as its serial device and
its SimulatedClock (200 us and 5 ppm off at start) stamps simulated PPS
edges with 100 ns of noise, one pulse dropped. The figures themselves are
`ptpbridge bench gnss`'s; here the bounds are generous physical ones (a
busy machine may slow start-up, never the clock's arithmetic).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ptpbridge.bench.gnss import gnss_scenario
from ptpbridge.config import ConfigError, load_config


def test_daemon_locks_to_the_gnss_stand_in_and_survives_faults() -> None:
    r = gnss_scenario(duration_s=35.0, noise_ns=100.0)
    assert r["daemon_exit"] is not None and r["gnss"] is not None, r["log_tail"]
    assert r["class6_after_s"] is not None and r["class6_after_s"] < 30, r["log_tail"]
    assert r["final_class"] == 6, r["log_tail"]
    assert r["tail_samples"] >= 5 and r["true_te_rms_ns"] < 1_000, r
    counters = r["gnss"]["counters"]
    assert counters["pps_missing"] >= 1  # the dropped pulse, counted
    assert r["gnss"]["nmea_errors"].get("checksum", 0) >= 4  # RMC+ZDA of both bad seconds
    assert counters["samples"] >= 20 and r["gnss"]["io_errors"] == 0


@pytest.mark.parametrize(("body", "words"), [
    ('device = "/dev/ttyS0"\n', 'exactly one of "pps" and "sim_pps"'),
    ('device = "/dev/ttyS0"\n[reference.pps]\nchannel = 0\n[reference.sim_pps]\nnoise_ns = 1\n',
     'exactly one of "pps" and "sim_pps"'),
    ('device = ""\n[reference.pps]\n', "at least 1"),
    ('device = "/dev/ttyS0"\ncable_delay_ns = -1\n[reference.pps]\n', "greater than or equal to 0"),
])
def test_gnss_config_errors_name_file_and_key(tmp_path: Path, body: str, words: str) -> None:
    path = tmp_path / "g.toml"
    path.write_text('[[reference]]\ntype = "gnss"\n' + body)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}: reference"), message
    assert words in message, message


def test_a_gnss_reference_reads_like_a_chrony_refclock(tmp_path: Path) -> None:
    path = tmp_path / "g.toml"
    path.write_text('[[reference]]\ntype = "gnss"\ndevice = "/dev/ttyS0"\ncable_delay_ns = 85\n'
                    "[reference.pps]\nchannel = 1\npin = 0\n")
    (ref,) = load_config(path).reference
    assert ref.type == "gnss" and ref.label == "gnss"
