# SPDX-License-Identifier: GPL-2.0-or-later
"""Make sure the kernel is stamping received packets before we rely on it.

Software RX timestamps are taken only while the kernel's global
"timestamps wanted" switch is on. When the first socket on the machine asks
for them, the kernel flips that switch from a workqueue, not synchronously,
so packets arriving in the next moments (longer on a busy machine) come up
without a timestamp. A probe over loopback, repeated until it comes back
stamped, closes that window; it costs one loopback round trip when the
switch is already on. (The switch goes off again when the last such socket
closes, so the check is made for every endpoint, not once per process.)
"""

from __future__ import annotations

import socket
import time

from phc.net_tstamp import SO_TIMESTAMPING, SofFlag

from .cmsg import rx_timestamp

_RX_FLAGS = SofFlag.RX_SOFTWARE | SofFlag.SOFTWARE


def _probe_once(sock: socket.socket) -> bool:
    sock.send(b"rx-timestamp-probe")
    _data, ancdata, _flags, _addr = sock.recvmsg(64, 256)
    return rx_timestamp(ancdata, "software") is not None


def wait_for_rx_timestamping(timeout_s: float = 1.0) -> bool:
    """True once a looped-back packet carries a software RX timestamp.

    Runs in the calling thread's network namespace; without a usable
    loopback there it gives up at once (False) and changes nothing.
    """
    deadline = time.monotonic() + timeout_s
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, int(_RX_FLAGS))
            sock.bind(("127.0.0.1", 0))
            sock.connect(sock.getsockname())
            sock.settimeout(0.1)
            while not _probe_once(sock):
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.001)
    except OSError:
        return False
    return True
