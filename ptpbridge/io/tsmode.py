# SPDX-License-Identifier: GPL-2.0-or-later
"""Choosing hardware or software timestamping for an interface and switching it on.

"hardware" requires the NIC to stamp in PHC time and its hwtstamp config to be
enabled already (the caller does that through phc before opening sockets);
otherwise it fails with TimestampingUnavailable.  "auto" takes hardware when
that holds and software otherwise, and says which it took and why.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Literal

from phc import PhcError, PhcNotSupportedError, hw_timestamping_config, timestamping_info
from phc.net_tstamp import SO_SELECT_ERR_QUEUE, SO_TIMESTAMPING, HwTstampFilter, HwTstampTx, SofFlag

from .errors import TimestampingUnavailable
from .timestamps import TimestampSource

RequestedMode = Literal["software", "hardware", "auto"]

# TX timestamps come back as OPT_ID key + timestamp only (OPT_TSONLY): no copy of
# the packet on the error queue.  OPT_CMSG is left out because it only adds
# IP_PKTINFO to error-queue messages, which the key already makes unnecessary.
_REPORTING = SofFlag.OPT_ID | SofFlag.OPT_TSONLY
_FLAGS: dict[TimestampSource, SofFlag] = {
    "software": SofFlag.TX_SOFTWARE | SofFlag.RX_SOFTWARE | SofFlag.SOFTWARE | _REPORTING,
    "hardware": SofFlag.TX_HARDWARE | SofFlag.RX_HARDWARE | SofFlag.RAW_HARDWARE | _REPORTING,
}
_HW_CAPS = SofFlag.TX_HARDWARE | SofFlag.RX_HARDWARE | SofFlag.RAW_HARDWARE


@dataclass(frozen=True, slots=True)
class ModeChoice:
    """The timestamping source an endpoint uses, and why."""

    source: TimestampSource
    reason: str


def _hardware_problem(interface: str) -> str | None:
    """Why hardware timestamping cannot be used on ``interface`` (None: it can)."""
    try:
        info = timestamping_info(interface)
    except PhcError as exc:
        return f"cannot read timestamping capabilities ({exc.reason})"
    missing = _HW_CAPS & ~info.so_timestamping
    if missing or info.phc_index is None:
        offers = info.so_timestamping.name or "nothing"
        return f"no hardware timestamping (the driver offers {offers}; PHC: {info.phc_device or 'none'})"
    try:
        config = hw_timestamping_config(interface)
    except PhcNotSupportedError:
        return None  # old drivers cannot report their config; trust the caller
    except PhcError as exc:
        return f"cannot read hwtstamp config ({exc.reason})"
    if config.tx_type == HwTstampTx.OFF or config.rx_filter == HwTstampFilter.NONE:
        return (
            f"hardware timestamping is off in the NIC (tx_type={config.tx_type!r}, "
            f"rx_filter={config.rx_filter!r}); enable it through phc first"
        )
    return None


def choose_mode(interface: str, requested: RequestedMode) -> ModeChoice:
    """Resolve the requested mode for ``interface`` in the current network namespace."""
    if requested == "software":
        return ModeChoice("software", "requested")
    problem = _hardware_problem(interface)
    if problem is None:
        return ModeChoice("hardware", "requested" if requested == "hardware" else "NIC stamps in PHC time")
    if requested == "hardware":
        raise TimestampingUnavailable(interface, "hardware timestamping", problem)
    return ModeChoice("software", problem)


def socket_flags(source: TimestampSource) -> SofFlag:
    """SO_TIMESTAMPING flags for a socket using ``source``."""
    return _FLAGS[source]


def enable_timestamping(sock: socket.socket, source: TimestampSource) -> SofFlag:
    """Switch SO_TIMESTAMPING on; the OPT_ID key counter starts at 0 here.

    SO_SELECT_ERR_QUEUE also flags error-queue readiness as POLLPRI for any
    poll()-based reader; asyncio's epoll selector already maps the POLLERR the
    error queue raises to read readiness, and the endpoint drains both queues.
    """
    flags = socket_flags(source)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, int(flags))
    sock.setsockopt(socket.SOL_SOCKET, SO_SELECT_ERR_QUEUE, 1)
    return flags
