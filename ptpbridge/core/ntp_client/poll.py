# SPDX-License-Identifier: GPL-2.0-or-later
"""When a source is polled next and with which poll exponent (RFC 5905 section 13, chrony's iburst).

* iburst: while the source is unreachable (at start, or after eight
  unanswered polls) a poll becomes a burst of `burst_count` requests spaced
  `burst_interval_ns` apart (or the minpoll interval, if shorter), so four
  samples, enough to make a source fit, arrive within seconds.
* The poll exponent follows a target between minpoll and maxpoll: RFC 5905
  polls every association at the system poll exponent clamped to its own
  bounds (`SystemPoll` in syspoll.py moves it; without one the source stays
  at minpoll).
* Unreachable back-off: after `unreachable_backoff_polls` unanswered
  requests each new poll doubles the interval, up to maxpoll; the first valid
  reply brings it back to the target.
* A RATE kiss-o'-death raises a floor under the exponent (at least one step
  and at least the server's poll field) for the association's lifetime and
  ends any burst, as RFC 5905 section 7.4 asks.
"""

from __future__ import annotations

from ptpbridge.core.ntp_client.tuning import POLL_EXP_MAX, POLL_EXP_MIN, ClientTuning, log2_ns


class PollControl:
    """Poll exponent, burst state and the next request deadline (monotonic ns) of one source."""

    def __init__(self, minpoll: int, maxpoll: int, iburst: bool, tuning: ClientTuning, start_mono_ns: int) -> None:
        if not POLL_EXP_MIN <= minpoll <= maxpoll <= POLL_EXP_MAX:
            raise ValueError(f"need {POLL_EXP_MIN} <= minpoll <= maxpoll <= {POLL_EXP_MAX}, "
                             f"got minpoll {minpoll}, maxpoll {maxpoll}")
        self.minpoll = minpoll
        self.maxpoll = maxpoll
        self.iburst = iburst
        self.tuning = tuning
        self.hpoll = minpoll
        self.floor = minpoll
        self.next_mono_ns: int | None = start_mono_ns
        self.last_request_mono_ns: int | None = None
        self.burst_left = 0
        self.unanswered = 0
        self.target = minpoll

    @property
    def burst_gap_ns(self) -> int:
        return min(self.tuning.burst_interval_ns, log2_ns(self.minpoll))

    def on_request(self, now_mono_ns: int, reachable: bool) -> None:
        """A request is sent now; `reachable`: the register was non-zero before this poll."""
        if self.burst_left > 0:
            self.burst_left -= 1
        else:
            if self.unanswered >= self.tuning.unreachable_backoff_polls:
                self.hpoll = min(self.hpoll + 1, self.maxpoll)
            if self.iburst and not reachable:
                self.burst_left = self.tuning.burst_count - 1
        self.unanswered += 1
        self.last_request_mono_ns = now_mono_ns
        gap = self.burst_gap_ns if self.burst_left > 0 else log2_ns(self.hpoll)
        self.next_mono_ns = now_mono_ns + gap

    def _clamped_target(self) -> int:
        return min(max(self.target, self.floor), self.maxpoll)

    def on_reply(self, was_reachable: bool) -> None:
        """A valid reply arrived; one after unreachability ends the back-off."""
        self.unanswered = 0
        if not was_reachable:
            self.hpoll = self._clamped_target()

    def set_target(self, exponent: int) -> None:
        """Follow the system poll exponent, within minpoll/maxpoll and above the RATE floor."""
        self.target = exponent
        backing_off = self.unanswered >= self.tuning.unreachable_backoff_polls
        self.hpoll = max(self.hpoll, self._clamped_target()) if backing_off else self._clamped_target()

    def on_rate_kod(self, server_poll: int) -> None:
        """The server asked us to slow down: raise the floor, end the burst, push the next poll out."""
        self.floor = min(self.maxpoll, max(self.floor, self.hpoll + 1, server_poll))
        self.hpoll = max(self.hpoll, self.floor)
        self.burst_left = 0
        if self.next_mono_ns is not None and self.last_request_mono_ns is not None:
            self.next_mono_ns = max(self.next_mono_ns, self.last_request_mono_ns + log2_ns(self.hpoll))

    def stop(self) -> None:
        """No more requests (DENY/RSTR kiss-o'-death)."""
        self.next_mono_ns = None
        self.burst_left = 0
