"""`ptpbridge bench NAME`: run one benchmark from ptpbridge.bench."""

from __future__ import annotations

import importlib
from typing import Any

from ptpbridge.bench import BENCHMARKS


def register(sub: Any) -> None:
    parser = sub.add_parser("bench", help="run a benchmark against the peer users would pick")
    sub_bench = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    sub_bench.required = True
    for name, module_name in BENCHMARKS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # benchmark not built yet in this tree
        bench_parser = sub_bench.add_parser(name, help=module.DESCRIPTION)
        module.add_arguments(bench_parser)
        bench_parser.set_defaults(func=module.run)


