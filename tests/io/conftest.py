# SPDX-License-Identifier: GPL-2.0-or-later
"""Runs the I/O scenarios of ns_scenarios.py in a child process inside a lab."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nslab
import pytest

SCRIPT = Path(__file__).with_name("ns_scenarios.py")
Scenario = Callable[..., dict[str, Any]]


def run_scenario(lab: nslab.Lab, name: str, **args: Any) -> dict[str, Any]:
    """The scenario's JSON result; its traceback in the failure message if it crashed."""
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), name, lab.name, json.dumps(args)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, f"scenario {name} failed:\n{proc.stderr}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.fixture(scope="module")
def scenario(lab_pair: nslab.Lab) -> Scenario:
    """``scenario(name, **args)`` runs one scenario on the module's two-host lab."""
    return lambda name, **args: run_scenario(lab_pair, name, **args)
