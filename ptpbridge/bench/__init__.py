"""Benchmarks: each runs our implementation and the peer users would pick
instead in the same run, and prints both figures and their ratio.

BENCHMARKS maps a benchmark name to the module that implements it. A module
exposes ``DESCRIPTION: str``, ``add_arguments(parser)`` and
``run(args) -> int``.
"""

BENCHMARKS: dict[str, str] = {
    "codec": "ptpbridge.bench.codec",
    "gnss": "ptpbridge.bench.gnss",
    "leap": "ptpbridge.bench.leap",
    "ntp": "ptpbridge.bench.ntp",
    "ptp-slaves": "ptpbridge.bench.ptp_slaves",
    "ptp-delay": "ptpbridge.bench.ptp_delay",
    "ptp-follow": "ptpbridge.bench.ptp_follow",
    "servo": "ptpbridge.bench.servo",
    "refs": "ptpbridge.bench.refs",
}
