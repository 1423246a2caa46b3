# SPDX-License-Identifier: GPL-2.0-or-later
"""Stable client-to-worker mapping, so one client's state lives in one worker.

Rate-limit buckets and interleaved timestamps are per client; with several
worker processes each client must always reach the same one. Python's
hash() is salted per process, so we hash the packed address with BLAKE2b.
"""

from __future__ import annotations

import hashlib

from ptpbridge.core.ntp.addresses import parse_client


def worker_index(address: str, workers: int) -> int:
    """Worker (0..workers-1) for a client address; same answer in every process and run."""
    if workers < 1:
        raise ValueError("need at least one worker")
    packed = parse_client(address).packed
    digest = hashlib.blake2b(packed, digest_size=8, person=b"ptpb-ntp").digest()
    return int.from_bytes(digest, "big") % workers
