# SPDX-License-Identifier: GPL-2.0-or-later
"""bench ptp-follow's convergence figures: settle times, median and worst over repeats, both origins."""

from __future__ import annotations

import argparse

from ptpbridge.bench.ptp_follow import converge_table, settle_time, summarize


def test_settle_time_is_after_the_last_excursion() -> None:
    series = [(0.0, 1_000_000), (0.5, 500), (1.0, 1_500), (1.5, 200), (2.0, -300)]
    assert settle_time(series, 1_000) == 1.5
    assert settle_time(series, 10_000) == 0.5
    assert settle_time([(0.0, 10), (1.0, 2_000)], 1_000) is None  # still out at the end


def test_summary_counts_a_run_that_never_settled_as_the_worst() -> None:
    runs = [{"t": 4.0}, {"t": None}, {"t": 6.0}]
    assert summarize(runs, "t") == {"median": 6.0, "worst": None}
    assert summarize([{"t": 4.0}, {"t": 6.0}], "t") == {"median": 5.0, "worst": 6.0}


def test_table_shows_both_origins_and_the_runs_within_the_limit() -> None:
    runs = [{"first_sample_s": 1.2, "settle_1000_ns_from_first_s": 4.0, "settle_1000_ns_s": 5.2,
             "settle_10000_ns_from_first_s": 0.5, "settle_10000_ns_s": 1.7, "tail_rms_ns": 150.0,
             "tail_mean_ns": 100.0},
            {"first_sample_s": 1.0, "settle_1000_ns_from_first_s": None, "settle_1000_ns_s": None,
             "settle_10000_ns_from_first_s": 0.6, "settle_10000_ns_s": 1.6, "tail_rms_ns": 1_500.0,
             "tail_mean_ns": 1_400.0}]
    keys = ("settle_1000_ns_from_first_s", "settle_1000_ns_s", "settle_10000_ns_from_first_s")
    converge = {"linreg": {"runs": runs, **{f"{k}_{stat}": v for k in keys
                                            for stat, v in summarize(runs, k).items()}}}
    text = "\n".join(converge_table(converge, argparse.Namespace(converge_seconds=20.0, repeats=2, converge_master="ptp4l", converge_lab="pair")))
    assert "from the first sample" in text and "from the daemon's start" in text
    row = next(line for line in text.splitlines() if line.startswith("linreg"))
    assert "never" in row and "1/2" in row and row.endswith("4.0 never")
    assert "tail mean" in text
