# SPDX-License-Identifier: GPL-2.0-or-later
"""All three clocks answer the one Clock protocol with the same signatures."""

from __future__ import annotations

import inspect

import pytest

from phc import Clock, PhcClock, SimulatedClock, SystemClock

MEMBERS = [name for name in vars(Clock) if not name.startswith("_")]


def test_protocol_has_the_agreed_members() -> None:
    assert set(MEMBERS) == {
        "name", "kind", "now_ns", "set_time_ns", "adjust_frequency", "frequency_ppb", "step",
        "max_frequency_ppb", "offset_to_system", "from_system_ns", "close"}


@pytest.mark.parametrize("cls", [PhcClock, SystemClock, SimulatedClock], ids=lambda c: c.__name__)
def test_signatures_match_the_protocol(cls: type) -> None:
    for name in MEMBERS:
        theirs = inspect.getattr_static(Clock, name)
        ours = inspect.getattr_static(cls, name)
        if isinstance(theirs, property):
            assert isinstance(ours, property), f"{cls.__name__}.{name} must be a property"
            continue
        assert inspect.signature(ours) == inspect.signature(theirs), f"{cls.__name__}.{name}"


def test_instances_pass_the_runtime_check() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(SimulatedClock(), Clock)
    assert not isinstance(object(), Clock)
