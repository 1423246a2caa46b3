# SPDX-License-Identifier: GPL-2.0-or-later
"""The `[ntp]` config as one worker's server-core config.

Per-client tables are split between the workers: each client address is
served by exactly one worker, so a worker needs only its share, and the
daemon's memory stays within what the config allows in total.
"""

from __future__ import annotations

from ptpbridge.config.ntp import NtpConfig
from ptpbridge.core.ntp import (
    AccessConfig,
    InterleaveConfig,
    NtpServerConfig,
    RateLimitConfig,
    load_key_file,
)


def share(total: int, workers: int) -> int:
    """One worker's part of a table sized `total` for all workers (at least 1)."""
    return max(1, -(-total // workers))


def core_config(cfg: NtpConfig, workers: int) -> NtpServerConfig:
    """NtpServerConfig for one of `workers` workers; reads the key file."""
    limit = cfg.ratelimit
    ratelimit = None
    if limit is not None:
        ratelimit = RateLimitConfig(limit.interval, limit.burst, limit.leak, limit.kod,
                                    share(limit.max_clients, workers))
    return NtpServerConfig(
        access=AccessConfig(tuple(cfg.allow), tuple(cfg.deny), deny_kod=cfg.deny_kod),
        ratelimit=ratelimit,
        interleave=InterleaveConfig(cfg.interleave, share(cfg.interleave_entries, workers)),
        keys=load_key_file(cfg.key_file) if cfg.key_file is not None else {},
        require_auth=cfg.require_auth,
        bad_mac_nak=cfg.bad_mac == "nak",
        monitor_max_clients=share(cfg.client_log_entries, workers),
    )
