"""Unix control socket: one JSON request per line, one JSON reply per line.

Kept deliberately tiny so `ptpbridge status` (and scripts with socat) can
talk to the daemon without any client library.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[Any]]
MAX_REQUEST_BYTES = 64 * 1024


class ControlError(Exception):
    """The control socket cannot be served or reached; the message says why."""


def _socket_in_use(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
        return True


class ControlServer:
    def __init__(self, path: Path, handlers: dict[str, Handler]) -> None:
        self.path = path
        self.handlers = handlers
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        if self.path.exists() or self.path.is_symlink():
            if _socket_in_use(self.path):
                raise ControlError(f"{self.path}: another daemon is already listening there")
            self.path.unlink()  # stale socket from a crash
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))
        except OSError as exc:
            raise ControlError(f"{self.path}: cannot listen: {exc.strerror or exc}") from None
        os.chmod(self.path, 0o660)

    async def close(self) -> None:
        if self._server is None:
            return  # never listened: the path (if any) belongs to someone else
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                if len(line) > MAX_REQUEST_BYTES:
                    break
                reply = await self._dispatch(line)
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _dispatch(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
        except ValueError:
            return {"ok": False, "error": "request is not JSON"}
        if not isinstance(request, dict) or not isinstance(request.get("command"), str):
            return {"ok": False, "error": "request needs a string 'command'"}
        handler = self.handlers.get(request["command"])
        if handler is None:
            return {"ok": False, "error": f"unknown command {request['command']!r}"}
        try:
            return {"ok": True, "result": await handler(request)}
        except Exception as exc:  # a failing handler must not take the daemon down
            log.exception("control command %s failed", request["command"])
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def request(path: Path, command: str, timeout_s: float = 5.0, **params: Any) -> Any:
    """Send one command to the daemon and return its result (blocking client)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect(str(path))
        except FileNotFoundError:
            raise ControlError(f"no daemon running (no control socket at {path})") from None
        except ConnectionRefusedError:
            raise ControlError(f"no daemon running (stale control socket at {path})") from None
        except PermissionError:
            raise ControlError(f"{path}: permission denied") from None
        except OSError as exc:
            raise ControlError(f"{path}: {exc.strerror or exc}") from None
        sock.sendall(json.dumps({"command": command, **params}).encode() + b"\n")
        buf = b""
        try:
            while not buf.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
        except TimeoutError:
            raise ControlError(f"{path}: daemon did not answer within {timeout_s:g} s") from None
    try:
        reply = json.loads(buf)
    except ValueError:
        raise ControlError(f"{path}: malformed reply from daemon") from None
    if not reply.get("ok"):
        raise ControlError(f"daemon refused {command!r}: {reply.get('error')}")
    return reply["result"]
