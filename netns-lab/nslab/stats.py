# SPDX-License-Identifier: GPL-2.0-or-later
"""Ground-truth statistics of a time-error (TE) series, per ITU-T G.810.

A TE series is x_1..x_N: (measured time - true time) in integer nanoseconds,
sampled every tau0 (integer nanoseconds). An observation interval tau is a
whole number n of samples: tau = n * tau0.

* MTIE(n tau0) = max over windows of n+1 consecutive samples of
  (max x - min x) in the window (G.810, 4.5.15 / Appendix II.1);
* TDEV(n tau0) = sqrt( sum_{j=1}^{N-3n+1} [ sum_{i=j}^{n+j-1}
  (x_{i+2n} - 2 x_{i+n} + x_i) ]^2 / (6 n^2 (N - 3n + 1)) ) (G.810 II.3),
  defined for 1 <= n <= N/3.

Both run in O(N) per interval (sliding extrema, prefix sums), exact on
integer input (MTIE stays an int; TDEV rounds once, at the square root).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

Number = int | float


def mean(x: Sequence[Number]) -> float:
    if not x:
        raise ValueError("mean of an empty series")
    return math.fsum(x) / len(x)


def rms(x: Sequence[Number]) -> float:
    """Root mean square of TE (includes any constant offset, unlike std)."""
    if not x:
        raise ValueError("rms of an empty series")
    return math.sqrt(math.fsum(v * v for v in x) / len(x))


def std(x: Sequence[Number]) -> float:
    """Population standard deviation (about the mean)."""
    m = mean(x)
    return math.sqrt(math.fsum((v - m) ** 2 for v in x) / len(x))


def max_abs(x: Sequence[Number]) -> Number:
    """max |TE|: the worst single error."""
    if not x:
        raise ValueError("max |TE| of an empty series")
    return max(abs(v) for v in x)


def mtie(x: Sequence[Number], n: int) -> Number:
    """MTIE over windows of ``n`` sample intervals (n+1 samples)."""
    if not 1 <= n <= len(x) - 1:
        raise ValueError(f"MTIE needs 1 <= n <= N-1 (N={len(x)}), got n={n}")
    width = n + 1
    hi: deque[int] = deque()  # indices, values decreasing
    lo: deque[int] = deque()  # indices, values increasing
    worst: Number = 0
    for i, v in enumerate(x):
        while hi and x[hi[-1]] <= v:
            hi.pop()
        hi.append(i)
        while lo and x[lo[-1]] >= v:
            lo.pop()
        lo.append(i)
        if hi[0] <= i - width:
            hi.popleft()
        if lo[0] <= i - width:
            lo.popleft()
        if i >= width - 1:
            span = x[hi[0]] - x[lo[0]]
            if span > worst:
                worst = span
    return worst


def tdev(x: Sequence[Number], n: int) -> float:
    """TDEV at tau = n * tau0."""
    big_n = len(x)
    if not 1 <= n or 3 * n > big_n:
        raise ValueError(f"TDEV needs 1 <= n <= N/3 (N={big_n}), got n={n}")
    # prefix sums make each inner sum O(1): sum_{i=j}^{j+n-1} x_{i+k} = P[j+n+k]-P[j+k]
    prefix: list[Number] = [0]
    for v in x:
        prefix.append(prefix[-1] + v)
    count = big_n - 3 * n + 1
    total: Number = 0
    for j in range(count):
        s = ((prefix[j + 3 * n] - prefix[j + 2 * n])
             - 2 * (prefix[j + 2 * n] - prefix[j + n])
             + (prefix[j + n] - prefix[j]))
        total += s * s
    return math.sqrt(total / (6 * n * n * count))


def taus(big_n: int, limit_div: int = 1, per_decade: int = 3) -> list[int]:
    """Roughly log-spaced n values from 1 to (N-1)//limit_div (use 3 for TDEV)."""
    top = (big_n - 1) // limit_div
    if top < 1:
        return []
    out: list[int] = []
    k = 0
    while True:
        n = round(10 ** (k / per_decade))
        k += 1
        if n > top:
            break
        if not out or n != out[-1]:
            out.append(n)
    return out


def mtie_curve(x: Sequence[Number], tau0_ns: int,
               ns: Sequence[int] | None = None) -> list[tuple[int, Number]]:
    """[(tau_ns, MTIE)] for each n in ``ns`` (default: log-spaced)."""
    return [(n * tau0_ns, mtie(x, n)) for n in (ns if ns is not None else taus(len(x)))]


def tdev_curve(x: Sequence[Number], tau0_ns: int,
               ns: Sequence[int] | None = None) -> list[tuple[int, float]]:
    """[(tau_ns, TDEV)] for each n in ``ns`` (default: log-spaced up to N/3)."""
    return [(n * tau0_ns, tdev(x, n)) for n in (ns if ns is not None else taus(len(x), 3))]


def summary(x: Sequence[Number]) -> dict[str, float]:
    """mean, RMS, std and max |TE| of a series (for reports)."""
    return {"n": float(len(x)), "mean": mean(x), "rms": rms(x), "std": std(x),
            "max_abs": float(max_abs(x))}
