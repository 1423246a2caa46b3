# SPDX-License-Identifier: GPL-2.0-or-later
"""Test-only NTP responder: plain UDP sockets around NtpServerCore (run inside a pb-ntp- netns).

Not the real server I/O (that comes from the I/O layer later): receive time
is the kernel's software RX timestamp (SO_TIMESTAMPNS), the basic-mode
transmit time is read just before sendto, and the "kernel TX timestamp"
recorded for interleaved mode is simply time.time_ns() after sendto. Every
request is also logged (hex, one JSON object per line) so tests can feed
real client packets into the core afterwards.

Usage: python responder.py CONFIG.json   (stops on SIGTERM or after `duration_s`)
"""

from __future__ import annotations

import json
import selectors
import signal
import socket
import struct
import sys
import time
from typing import Any

from ptpbridge.core.ntp import (
    AccessConfig,
    InterleaveConfig,
    NtpServerConfig,
    NtpServerCore,
    ServerTimeState,
    load_key_file,
)

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_TS = struct.Struct("=qq")


def main(config_path: str) -> int:
    with open(config_path, encoding="utf-8") as f:
        cfg: dict[str, Any] = json.load(f)
    keys = load_key_file(cfg["keyfile"]) if cfg.get("keyfile") else {}
    core = NtpServerCore(
        NtpServerConfig(
            access=AccessConfig(allow=tuple(cfg.get("allow", ["127.0.0.0/8", "::1/128"]))),
            interleave=InterleaveConfig(enabled=cfg.get("interleave", True)),
            keys=keys,
            bad_mac_nak=cfg.get("bad_mac_nak", True),
        ),
        ServerTimeState.synchronised("PHC", 1, time.time_ns(), root_dispersion_ns=1_000, precision=-25),
    )
    sel = selectors.DefaultSelector()
    for addr in cfg["listen"]:
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.bind((addr, cfg.get("port", 123)))
        sel.register(s, selectors.EVENT_READ)
    log = open(cfg["log"], "a", encoding="utf-8")
    stop = False

    def on_term(_sig: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    deadline = time.monotonic() + float(cfg.get("duration_s", 60))
    with open(cfg["ready"], "w", encoding="utf-8") as f:
        f.write("ready\n")
    while not stop and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            data, anc, _flags, peer = sock.recvmsg(2048, 256)
            rx_ns = time.time_ns()
            for level, ctype, cdata in anc:
                if level == socket.SOL_SOCKET and ctype == SO_TIMESTAMPNS:
                    sec, nsec = _TS.unpack(cdata[: _TS.size])
                    rx_ns = sec * 1_000_000_000 + nsec
            local = sock.getsockname()[0]
            decision = core.handle(data, (peer[0], peer[1]), rx_ns)
            log.write(json.dumps({"local": local, "peer": peer[0], "data": data.hex(),
                                  "kind": decision.kind.value if decision.kind else None,
                                  "drop": decision.drop_reason.label if decision.drop_reason else None}) + "\n")
            log.flush()
            if decision.reply is None:
                continue
            out = decision.finalize(time.time_ns())
            sock.sendto(out, peer)
            core.record_tx((peer[0], peer[1]), decision.reply_id, time.time_ns())
    log.flush()
    with open(cfg["status"], "w", encoding="utf-8") as f:
        json.dump(core.status(), f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
