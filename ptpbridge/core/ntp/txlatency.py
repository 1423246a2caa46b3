# SPDX-License-Identifier: GPL-2.0-or-later
"""Basic-mode transmit-timestamp compensation: how long a reply takes from clock read to the wire.

A basic reply must carry its transmit timestamp inside itself, so the
server reads the clock before the send system call; the packet leaves
later, by what the rest of the send costs (the interpreter's remaining
work, the system call, the UDP/IP stack, the driver). On a 2-core VM that
is 10-25 us for our worker against ~6 us for chronyd, and a basic client
reads all of it as error (half of it as offset). Interleaved mode (RFC
9769) fixes this properly by sending the kernel's transmit timestamp one
exchange later; most clients are basic, though.

The server already gets kernel transmit timestamps for interleaved
replies. With this compensation on (`[ntp] tx_latency_compensation`,
default on), the I/O layer also TX-stamps a sample of basic replies (at
most one per PROBE_INTERVAL_NS per socket, so the error-queue work stays
negligible at any request rate) and feeds each probe's kernel transmit
time minus the clock reading it carried here, together with a measure of
how slowly the machine runs right then (the "work": the I/O layer times a
dry run of its read-patch-send path just before the real one, see
daemon/ntp_batch). Every basic transmit timestamp then gets the delay
this model predicts for its batch's work added. A basic client sees
about the transmit time an interleaved client gets, not the time our code
happened to read the clock.

The model, and why: the delay is not a constant. Measured in the lab, it
grows with how slowly the machine runs at that moment (cold caches after
idling, a busy sibling core, the hypervisor): for lone requests the dry
run took 7-16 us and the delay 14-31 us (10th-90th percentile), the two
moving together (correlation ~0.4).
So the prediction is a straight line, delay = a + b * work, fitted by
least squares over the last WINDOW probes. (Lone requests, a real
client's case, 300 of them: delay median 21 us, std 8.9; residual after
the line 8.1; the earlier predictor, the batch's work per request from
wake-up to the read, left 10.7 of 10.8.) Robustness:
probes in the outer TRIM of the delays (preempted sends) and the top TRIM
of the work are left out of the fit, the slope is held in [0, 1], and the
work is clamped to the range seen in the fit before the line is applied
(work inflated by a preemption before the read says nothing about the
send after it); with no usable slope the correction is the fitted delays'
mean. Samples outside [0, MAX_SAMPLE_NS] are not
send delays (a clock step between read and send, a report paired with
the wrong send) and are dropped. Until MIN_SAMPLES have arrived the
correction is 0, as without compensation. Sans-IO: times are plain
integers.
"""

from __future__ import annotations

from collections import deque
from typing import Final, NamedTuple

# Probes the line is fitted over: a few seconds of them; follows load changes within that.
WINDOW: Final = 63
# Probes (TX-stamped basic replies) at most this often per socket: <= 20 a second;
# STARTUP_SPEEDUP times as often until the window is full (a new worker learns in ~0.3 s)
# and while batches run with work outside the fitted range (the load changed: relearn fast).
PROBE_INTERVAL_NS: Final = 50_000_000
STARTUP_SPEEDUP: Final = 10
# The share of the window's delays left out at each end (and of its work at the top) before fitting.
TRIM: Final = 0.1
# The correction applies once this many samples have arrived.
MIN_SAMPLES: Final = 5
# A delay beyond this is no send path's: the sample is discarded.
MAX_SAMPLE_NS: Final = 1_000_000


class _Fit(NamedTuple):
    """delay(work) = mean_y + (work - mean_x) * sxy // sxx, work clamped to [least, most]."""

    mean_x: int
    mean_y: int
    sxy: int
    sxx: int
    least: int
    most: int


class TxLatency:
    """Delay from clock read to kernel TX time of basic replies, as a line in the measured work before it."""

    def __init__(self, window: int = WINDOW, probe_interval_ns: int = PROBE_INTERVAL_NS,
                 min_samples: int = MIN_SAMPLES, max_sample_ns: int = MAX_SAMPLE_NS) -> None:
        if window < 1 or min_samples < 1 or probe_interval_ns < 0 or max_sample_ns < 0:
            raise ValueError("window and min_samples must be >= 1, intervals >= 0")
        self.window = window
        self.probe_interval_ns = probe_interval_ns
        self.min_samples = min(min_samples, window)
        self.max_sample_ns = max_sample_ns
        self._samples: deque[tuple[int, int]] = deque(maxlen=window)  # (work, delay)
        self._next_probe: int | None = None
        self._fit: _Fit | None = None
        self._unseen = False  # a correction was asked for work outside the fitted range
        self.samples = 0
        self.rejected = 0

    def probe_due(self, mono_ns: int) -> bool:
        """Whether a basic reply sent now should be TX-stamped; if so, the next is due an interval later."""
        if self._next_probe is not None and mono_ns < self._next_probe:
            return False
        interval = self.probe_interval_ns
        if len(self._samples) < self.window or self._unseen:
            interval //= STARTUP_SPEEDUP
        self._next_probe = mono_ns + interval
        return True

    def correction_ns(self, work_ns: int) -> int:
        """The delay to add to a basic transmit timestamp whose send path measured `work_ns`."""
        fit = self._fit
        if fit is None:
            return 0
        if fit.sxy == 0:
            return fit.mean_y
        if not fit.least <= work_ns <= fit.most:
            self._unseen = True
        work = min(fit.most, max(fit.least, work_ns))
        return fit.mean_y + (work - fit.mean_x) * fit.sxy // fit.sxx

    def add(self, latency_ns: int, work_ns: int = 0) -> bool:
        """One probe: kernel TX time minus its clock reading, and its work; False if discarded."""
        if not 0 <= latency_ns <= self.max_sample_ns:
            self.rejected += 1
            return False
        self._samples.append((max(0, work_ns), latency_ns))
        self._unseen = False
        self.samples += 1
        self._fit = self._refit() if len(self._samples) >= self.min_samples else None
        return True

    def _refit(self) -> _Fit:
        pairs = sorted(self._samples, key=lambda p: p[1])
        cut = int(len(pairs) * TRIM)
        kept = pairs[cut:len(pairs) - cut]
        if cut:
            works = sorted(w for w, _ in kept)
            top = works[len(works) - 1 - int(len(works) * TRIM)]
            kept = [p for p in kept if p[0] <= top]
        n = len(kept)
        mean_x = sum(w for w, _ in kept) // n
        mean_y = sum(d for _, d in kept) // n
        sxx = sum((w - mean_x) ** 2 for w, _ in kept)
        sxy = sum((w - mean_x) * (d - mean_y) for w, d in kept)
        # Held in [0, 1]: more work never means a shorter send, and the send is no longer than the work.
        sxy = 0 if sxx == 0 or sxy <= 0 else min(sxy, sxx)
        return _Fit(mean_x, mean_y, sxy, max(sxx, 1), min(w for w, _ in kept), max(w for w, _ in kept))

    def as_dict(self) -> dict[str, int]:
        """For status: the line in force (delay at the mean work, slope in ppm) and how it was learnt."""
        fit = self._fit
        return {"compensation_ns": 0 if fit is None else fit.mean_y,
                "work_ns": 0 if fit is None else fit.mean_x,
                "slope_ppm": 0 if fit is None else fit.sxy * 1_000_000 // fit.sxx,
                "samples": self.samples, "rejected": self.rejected}
