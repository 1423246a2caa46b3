# SPDX-License-Identifier: GPL-2.0-or-later
"""NTPsec's ntpdig: one-shot SNTP queries, parsed to integer nanoseconds.

ntpdig's JSON gives the offset and a "precision" that is really the
synchronization distance (delay/2 + dispersion), not the delay. With ``-d``
it also prints the four on-wire timestamps (t1..t4, NTP 32.32 fixed point)
of every sample, from which offset and delay follow exactly:
offset = ((t2 - t1) + (t3 - t4)) / 2, delay = (t4 - t1) - (t3 - t2).

Runs under nslab.clockguard and without ``-s``/``-S``: it reports, never sets.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ..host import Host
from .base import python_env

NTP_UNIX_OFFSET_S = 2_208_988_800

_TS_RE = re.compile(r"org t1: ([0-9a-f]{8})\.([0-9a-f]{8}) rec t2: ([0-9a-f]{8})\.([0-9a-f]{8})\s+"
                    r"xmt t3: ([0-9a-f]{8})\.([0-9a-f]{8}) dst t4: ([0-9a-f]{8})\.([0-9a-f]{8})")


def ntp_to_unix_ns(seconds: int, fraction: int) -> int:
    """NTP era-0 timestamp (32.32) to Unix-epoch integer nanoseconds."""
    return (seconds - NTP_UNIX_OFFSET_S) * 1_000_000_000 + (fraction * 1_000_000_000 >> 32)


@dataclass(frozen=True)
class NtpdigSample:
    """One exchange's timestamps (Unix ns) and what follows from them."""

    t1: int
    t2: int
    t3: int
    t4: int

    @property
    def offset_ns(self) -> int:
        return ((self.t2 - self.t1) + (self.t3 - self.t4)) // 2

    @property
    def delay_ns(self) -> int:
        return (self.t4 - self.t1) - (self.t3 - self.t2)


@dataclass(frozen=True)
class NtpdigResult:
    """ntpdig's verdict for one server, plus every sample behind it."""

    server: str
    stratum: int
    offset_ns: int
    sync_distance_ns: int
    leap: str
    samples: list[NtpdigSample]

    @property
    def delay_ns(self) -> int:
        """Delay of the sample ntpdig reported (the one whose offset it chose)."""
        best = min(self.samples, key=lambda s: abs(s.offset_ns - self.offset_ns))
        return best.delay_ns


def parse(stdout: str, server: str) -> list[NtpdigResult]:
    samples: list[NtpdigSample] = []
    out: list[NtpdigResult] = []
    for m in _TS_RE.finditer(stdout):
        v = [int(x, 16) for x in m.groups()]
        samples.append(NtpdigSample(ntp_to_unix_ns(v[0], v[1]), ntp_to_unix_ns(v[2], v[3]),
                                    ntp_to_unix_ns(v[4], v[5]), ntp_to_unix_ns(v[6], v[7])))
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            data = json.loads(line)
            out.append(NtpdigResult(server=str(data.get("ip") or data.get("host") or server),
                                    stratum=int(data["stratum"]),
                                    offset_ns=round(float(data["offset"]) * 1e9),
                                    sync_distance_ns=round(float(data["precision"]) * 1e9),
                                    leap=str(data.get("leap", "")), samples=list(samples)))
    return out


def ntpdig(host: Host, server: str, *, samples: int = 1, timeout_s: int = 5,
           key_id: int | None = None, keyfile: Path | None = None) -> NtpdigResult:
    """Query ``server`` from ``host`` (``samples`` exchanges); raise if unanswered."""
    argv = [sys.executable, "-m", "nslab.clockguard", "--", "ntpdig", "-d", "-j",
            "-t", str(timeout_s), "-p", str(samples)]
    if key_id is not None:
        if keyfile is None:
            raise ValueError("ntpdig authentication needs keyfile")
        argv += ["-a", str(key_id), "-k", str(keyfile)]
    argv.append(server)
    res = host.run(argv, timeout=timeout_s * samples + 30, env=python_env())
    found = parse(res.stdout, server)
    if not found or not found[0].samples:
        raise RuntimeError(f"ntpdig {server} gave no answer (code {res.returncode}): "
                           f"{res.stdout}{res.stderr}")
    return found[0]
