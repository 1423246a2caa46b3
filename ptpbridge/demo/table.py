"""Plain-text rendering for the demo: a refreshing table and a summary."""

from __future__ import annotations

import math
from collections.abc import Sequence


def rms(values: Sequence[int]) -> float:
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else math.nan


def fmt_ns(value: float | int | None, signed: bool = True) -> str:
    """An offset (signed) or a magnitude such as RMS or delay (unsigned)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    sign = "+" if signed else ""
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1e6:{sign}.3f} ms"
    if magnitude >= 1_000:
        return f"{value / 1e3:{sign}.3f} us"
    return f"{value:{sign}.0f} ns"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()
    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(row) for row in rows]
    return "\n".join(out)
