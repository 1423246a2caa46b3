# SPDX-License-Identifier: GPL-2.0-or-later
"""Messages between the daemon and its NTP workers: one JSON object per line on a socketpair.

Daemon -> worker: "config" (once, first), "state" (every tick), "clients"
(a request, answered with the worker's client table). Workers are stopped
by pid (SIGTERM), not by message.
Worker -> daemon: "ready", "counters" (pushed when they changed),
"clients" (the answer), "error" (a start-up failure, then it exits).
Every message is a dict with a "type"; anything else is a protocol error.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

# A client table of a few thousand entries is well under this.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

Message = dict[str, Any]


class IpcError(Exception):
    """The other side sent something that is not a message."""


async def open_channel(sock: socket.socket) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """asyncio streams over one end of a socketpair."""
    return await asyncio.open_unix_connection(sock=sock, limit=MAX_MESSAGE_BYTES)


def send(writer: asyncio.StreamWriter, message: Message) -> None:
    """Queue one message (the caller drains when it cares about back-pressure)."""
    writer.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")


async def receive(reader: asyncio.StreamReader) -> Message | None:
    """The next message, or None when the other side has gone away."""
    try:
        line = await reader.readline()
    except (ConnectionError, asyncio.LimitOverrunError, ValueError):
        return None
    if not line:
        return None
    try:
        message = json.loads(line)
    except ValueError:
        raise IpcError("not JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise IpcError("a message is an object with a string 'type'")
    return message
