# SPDX-License-Identifier: GPL-2.0-or-later
"""Test-only NTP server whose clock reads SHIFT_NS ahead of the shared lab clock: a falseticker.

Lab hosts share CLOCK_REALTIME, so no real server can be made wrong; this
one wraps our NtpServerCore and adds the shift to both its receive time (the
kernel's SO_TIMESTAMPNS stamp) and its transmit time (read just before
sendto), which is exactly what a server with a wrong clock would send.

Usage: python shifted_responder.py ADDRESS SHIFT_NS READY_FILE  (stops on SIGTERM)
"""

from __future__ import annotations

import selectors
import signal
import socket
import struct
import sys
import time
from pathlib import Path

from ptpbridge.core.ntp import AccessConfig, NtpServerConfig, NtpServerCore, ServerTimeState

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_TIMESPEC = struct.Struct("=qq")


def main(address: str, shift_ns: int, ready: Path) -> int:
    core = NtpServerCore(
        NtpServerConfig(access=AccessConfig(allow=("198.18.0.0/15", "fd00::/8"))),
        ServerTimeState.synchronised("GPS", 1, time.time_ns() + shift_ns, root_dispersion_ns=1_000, precision=-25),
    )
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.bind((address, 123))
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    stop = False

    def on_term(_sig: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    ready.write_text("ready\n", encoding="utf-8")
    while not stop:
        if not sel.select(timeout=0.2):
            continue
        data, anc, _flags, peer = sock.recvmsg(2048, 256)
        rx_ns = time.time_ns()
        for level, ctype, cdata in anc:
            if level == socket.SOL_SOCKET and ctype == SO_TIMESTAMPNS:
                sec, nsec = _TIMESPEC.unpack(cdata[: _TIMESPEC.size])
                rx_ns = sec * 1_000_000_000 + nsec
        decision = core.handle(data, (peer[0], peer[1]), rx_ns + shift_ns)
        if decision.reply is not None:
            sock.sendto(decision.finalize(time.time_ns() + shift_ns), peer)
    print(core.status()["counters"], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])))
