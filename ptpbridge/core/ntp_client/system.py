# SPDX-License-Identifier: GPL-2.0-or-later
"""The system process over all sources: fitness, then selection, clustering and combining.

`select_sources` reads the sources' peer variables at `now_mono_ns` and
returns a `SelectionResult`, including a verdict for every source; it does
not change the sources. A source is fit (RFC 5905 section 11.2, fit()) when
it is not stopped, is reachable, has an estimate, has stratum below 15 (we
serve at its stratum + 1, and 16 means unsynchronised), its root distance
is within MAXDIST plus PHI over one poll interval, and, at stratum 2 and up,
its reference id is not one of ours (it would be synchronised to us).

The system peer is the best-ranked kept survivor, except that the previous
peer stays while it is kept at the same stratum (no clock-hopping between
equally good servers). The system root dispersion is the peer's root
dispersion plus its filter dispersion, the system jitter and |offset|, as
RFC 5905 section 11.3 adds them up.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ptpbridge.core.ntp_client.selection import (
    Candidate,
    cluster,
    combine,
    intersect,
    majority_leap,
)
from ptpbridge.core.ntp_client.source import NtpSource
from ptpbridge.core.ntp_client.status import SelectionResult, SourceState, Verdict
from ptpbridge.core.ntp_client.tuning import DEFAULT_TUNING, ClientTuning, growth_ns, log2_ns
from ptpbridge.wire.ntp.constants import STRATUM_MAX_SYNCED
from ptpbridge.wire.ntp.refid import refid_for_source


def _fitness(src: NtpSource, now: int, tuning: ClientTuning,
             local_refids: Collection[bytes]) -> Candidate | Verdict:
    if src.stopped is not None:
        return Verdict(SourceState.UNUSABLE, src.stopped.label)
    if not src.reach.reachable:
        why = "no valid reply yet" if src.counters.accepted == 0 else "no valid reply to the last 8 polls"
        return Verdict(SourceState.UNREACHABLE, why)
    est, rep, dist = src.estimate, src.reply, src.root_distance_ns(now)
    if est is None or rep is None or dist is None:
        return Verdict(SourceState.UNUSABLE, "no valid sample yet")
    if rep.stratum >= STRATUM_MAX_SYNCED:
        return Verdict(SourceState.UNUSABLE, f"stratum {rep.stratum}: we would serve an unsynchronised stratum")
    limit = tuning.max_distance_ns + growth_ns(log2_ns(src.poll.hpoll), tuning.phi_ppb)
    if dist > limit:
        return Verdict(SourceState.UNUSABLE, f"root distance {dist} ns over {limit} ns")
    if rep.stratum >= 2 and rep.reference_id in local_refids:
        return Verdict(SourceState.UNUSABLE, "synchronised to us (timing loop)")
    return Candidate(src.address, est.offset_ns, dist, rep.stratum, est.jitter_ns, rep.leap)


def select_sources(
    sources: Sequence[NtpSource],
    now_mono_ns: int,
    *,
    tuning: ClientTuning = DEFAULT_TUNING,
    previous_peer: str | None = None,
    local_refids: Collection[bytes] = (),
) -> SelectionResult:
    """Run fitness, intersection, clustering and combining; never raises on any source state."""
    verdicts: dict[str, Verdict] = {}
    fit: list[Candidate] = []
    for src in sources:
        checked = _fitness(src, now_mono_ns, tuning, local_refids)
        if isinstance(checked, Verdict):
            verdicts[src.address] = checked
        else:
            fit.append(checked)
    if not fit:
        return SelectionResult.unsynchronised("no fit source", verdicts)
    interval = intersect(fit)
    if interval is None:
        for c in fit:
            verdicts[c.key] = Verdict(SourceState.FALSETICKER, "no majority agrees")
        return SelectionResult.unsynchronised("no majority", verdicts, tuple(c.key for c in fit))
    truechimers = [c for c in fit if interval.overlaps(c)]
    falsetickers = tuple(c.key for c in fit if not interval.overlaps(c))
    for key in falsetickers:
        verdicts[key] = Verdict(SourceState.FALSETICKER, "outside the majority interval")
    if len(truechimers) < tuning.min_truechimers:
        for c in truechimers:
            verdicts[c.key] = Verdict(SourceState.UNUSABLE, "too few truechimers")
        return SelectionResult.unsynchronised("too few truechimers", verdicts, falsetickers)
    kept, pruned = cluster(truechimers, tuning.min_survivors, tuning.max_distance_ns)
    for c in pruned:
        verdicts[c.key] = Verdict(SourceState.OUTLIER, "pruned by clustering")
    peer = kept[0]
    for c in kept:
        if c.key == previous_peer and c.stratum == peer.stratum:
            peer = c
    for c in kept:
        verdicts[c.key] = Verdict(SourceState.SELECTED if c is peer else SourceState.CANDIDATE)
    offset, jitter = combine(kept, peer)
    src = next(s for s in sources if s.address == peer.key)
    est, rep = src.estimate, src.reply
    disp = src.filter.dispersion_at(now_mono_ns)
    assert est is not None and rep is not None and disp is not None  # fit sources have all three
    return SelectionResult(
        synchronised=True,
        system_peer=peer.key,
        offset_ns=offset,
        jitter_ns=jitter,
        root_delay_ns=rep.root_delay_ns + est.delay_ns,
        root_dispersion_ns=rep.root_dispersion_ns + disp + jitter + abs(offset),
        stratum=rep.stratum + 1,
        reference_id=refid_for_source(peer.key),
        leap=majority_leap(kept),
        peer_sample_mono_ns=est.sample_mono_ns,
        survivors=tuple(c.key for c in kept),
        falsetickers=falsetickers,
        verdicts=verdicts,
    )
