# SPDX-License-Identifier: GPL-2.0-or-later
"""The on-disk record of a lab (``/run/pblab/<stem>/``).

Written before the first namespace exists, so whatever a crashed builder
left can be found and removed later: ``lab.json`` (what the lab is),
``pids/`` (what runs in it) and ``files/`` (peer configs and logs).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import naming


@dataclass
class LabRecord:
    name: str
    prefix: str
    topology: str
    link: str
    hosts: list[str]
    builder_pid: int
    phase: str = "building"
    impairments: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return naming.stem(self.name, self.prefix)

    @property
    def dir(self) -> Path:
        return naming.state_dir(self.name, self.prefix)


def save(rec: LabRecord) -> None:
    rec.dir.mkdir(parents=True, exist_ok=True)
    tmp = rec.dir / "lab.json.tmp"
    tmp.write_text(json.dumps(asdict(rec), indent=2), encoding="utf-8")
    tmp.replace(rec.dir / "lab.json")


def load(path: Path) -> LabRecord | None:
    """Read ``<dir>/lab.json``; None when missing or half-written."""
    try:
        data = json.loads((path / "lab.json").read_text(encoding="utf-8"))
        return LabRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def all_dirs(pfx: str) -> list[Path]:
    """State directories whose stem starts with ``pfx``."""
    if not naming.STATE_ROOT.is_dir():
        return []
    return sorted(p for p in naming.STATE_ROOT.iterdir() if p.is_dir() and p.name.startswith(pfx))


def remove_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
