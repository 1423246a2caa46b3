# SPDX-License-Identifier: GPL-2.0-or-later
"""ReferenceSelector: priority and health, failover at once, fail-back only after the delay."""

from __future__ import annotations

from ptpbridge.core.refsel import Choice, ReferenceSelector

S = 1_000_000_000


def _choices(**health: bool) -> list[Choice]:
    # a (priority 1), b (priority 2), c (priority 2, after b in the file)
    prio = {"a": 1, "b": 2, "c": 2}
    return [Choice(name, prio[name], healthy) for name, healthy in health.items()]


def test_first_selection_takes_the_best_healthy_at_once() -> None:
    sel = ReferenceSelector(10 * S)
    assert sel.update(0, _choices(a=False, b=False, c=False)) is None and sel.selected is None
    switch = sel.update(1 * S, _choices(a=False, b=True, c=True))
    assert switch is not None and switch.new == "b" and sel.selected == "b"  # ties: the file's order


def test_failover_is_immediate_and_failback_waits_for_the_delay() -> None:
    sel = ReferenceSelector(10 * S)
    sel.update(0, _choices(a=True, b=True, c=True))
    assert sel.selected == "a"
    switch = sel.update(1 * S, _choices(a=False, b=True, c=True))
    assert switch is not None and switch.old == "a" and switch.new == "b" and "failover" in switch.reason
    assert sel.update(2 * S, _choices(a=True, b=True, c=True)) is None
    assert sel.update(11 * S, _choices(a=True, b=True, c=True)) is None  # healthy 9 s: not yet
    switch = sel.update(12 * S, _choices(a=True, b=True, c=True))
    assert switch is not None and switch.new == "a" and "fail-back" in switch.reason


def test_a_flapping_preferred_reference_never_takes_over() -> None:
    sel = ReferenceSelector(10 * S)
    sel.update(0, _choices(a=False, b=True, c=False))
    assert sel.selected == "b"
    for second in range(1, 120):
        sel.update(second * S, _choices(a=second % 7 != 0, b=True, c=False))  # a drops every 7 s
    assert sel.selected == "b" and sel.switches == 1


def test_all_lost_means_nothing_selected_and_any_healthy_one_ends_it_at_once() -> None:
    sel = ReferenceSelector(10 * S)
    sel.update(0, _choices(a=True, b=False, c=False))
    switch = sel.update(1 * S, _choices(a=False, b=False, c=False))
    assert switch is not None and switch.new is None and "holdover" in switch.reason
    switch = sel.update(2 * S, _choices(a=False, b=False, c=True))
    assert switch is not None and switch.new == "c"
