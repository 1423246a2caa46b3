# SPDX-License-Identifier: GPL-2.0-or-later
"""The GNSS time of day over the network: NMEA over TCP and gpsd's JSON socket, in a lab.

h1 plays the network side (a serial server streaming the stand-in receiver's NMEA, or a gpsd
answering a WATCH with one TPV report per second); h2 runs our daemon with the simulated PPS.
The daemon must connect, pair labels with pulses and lock (clockClass 6); when the server drops
the connection it reconnects and goes on.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from nslab.host import Host
from ptpbridge.bench.refs_lab import PtpbridgeRefs
from ptpbridge.config.references import parse_stream_url
from ptpbridge.refs.sim_receiver import SimulatedReceiver

PORT = 4001
LATENCY_S = 0.1  # the report for second S leaves at S + 100 ms, as a receiver's would


def _serve(host: Host, handle: Any, stop: threading.Event, connections: list[int]) -> threading.Thread:
    """Accept connections on h1 one after another and hand each to ``handle``."""
    listener = host.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host.ipv4, PORT))
    listener.listen(1)
    listener.settimeout(0.2)

    def loop() -> None:
        with listener:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                connections.append(1)
                with conn:
                    handle(conn, stop, len(connections))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def _nmea(conn: socket.socket, stop: threading.Event, nth: int) -> None:
    """The stand-in receiver's NMEA into the connection; the first connection is cut after 8 s."""
    receiver = SimulatedReceiver(conn.fileno(), latency_ns=int(LATENCY_S * 1e9))
    until = time.monotonic() + (8.0 if nth == 1 else 3600.0)
    while not stop.is_set() and time.monotonic() < until:
        receiver.poll()
        stop.wait(0.02)


def _gpsd(conn: socket.socket, stop: threading.Event, nth: int) -> None:
    """Like gpsd: nothing until a WATCH request, then a TPV report naming each second."""
    conn.settimeout(5.0)
    request = conn.recv(256)
    assert request.startswith(b"?WATCH=") and b'"json":true' in request, request
    conn.sendall(b'{"class":"VERSION","release":"3.25","proto_major":3,"proto_minor":15}\n')
    until = time.monotonic() + (8.0 if nth == 1 else 3600.0)
    next_s = int(time.time()) + 1
    while not stop.is_set() and time.monotonic() < until:
        stop.wait(max(0.0, next_s + LATENCY_S - time.time()))
        stamp = datetime.fromtimestamp(next_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        report = {"class": "TPV", "device": "/dev/gnss0", "mode": 3, "time": stamp}
        conn.sendall(json.dumps(report).encode() + b"\n")
        next_s += 1


@pytest.mark.parametrize("scheme", ["tcp", "gpsd"])
def test_time_of_day_over_the_network_locks_and_reconnects(make_lab: Any, scheme: str) -> None:
    lab = make_lab("pair")
    h1, h2 = lab["h1"], lab["h2"]
    config = f"""
[clock.sim]
time_error_ns = 200000

[[reference]]
type = "gnss"
device = "{scheme}://{h1.ipv4}:{PORT}"
[reference.sim_pps]
noise_ns = 100
"""
    stop = threading.Event()
    connections: list[int] = []
    server = _serve(h1, _nmea if scheme == "tcp" else _gpsd, stop, connections)
    ours = PtpbridgeRefs(h2, config, name="ours")
    try:
        ours.start()
        locked = ours.wait_for_state("locked", timeout=40)
        assert locked["clock_class"] == 6, locked
        # The first connection is cut after 8 s; the daemon reconnects and keeps pairing.
        ours.wait_for("a second connection", lambda: True if len(connections) >= 2 else None, 30)
        before = ours.status()["references"]["gnss"]["gnss"]["counters"]["samples"]
        ours.wait_for("samples after the reconnect",
                      lambda: True if ours.status()["references"]["gnss"]["gnss"]["counters"]["samples"]
                      >= before + 3 else None, 20)
        gnss = ours.status()["references"]["gnss"]["gnss"]
        tracking = ours.tracking()
    finally:
        ours.stop()
        stop.set()
        server.join(timeout=5)
    assert gnss["connects"] >= 2 and gnss["io_errors"] >= 1, gnss
    assert gnss["last_error"] is not None and "connection closed" in gnss["last_error"], gnss
    assert tracking["clock_class"] == 6 and abs(tracking["true_time_error_ns"]) < 10_000, tracking


@pytest.mark.parametrize(("device", "parsed"), [
    ("/dev/ttyS0", None),
    ("tcp://192.0.2.1:4001", ("tcp", "192.0.2.1", 4001)),
    ("gpsd://localhost", ("gpsd", "localhost", 2947)),
    ("gpsd://[fd00::1]:2948", ("gpsd", "fd00::1", 2948)),
])
def test_stream_urls(device: str, parsed: tuple[str, str, int] | None) -> None:
    assert parse_stream_url(device) == parsed


@pytest.mark.parametrize("device", ["tcp://192.0.2.1", "tcp://:4001", "gpsd://host:0", "gpsd://host:http"])
def test_bad_stream_urls_are_refused(device: str) -> None:
    with pytest.raises(ValueError, match="port|host"):
        parse_stream_url(device)
