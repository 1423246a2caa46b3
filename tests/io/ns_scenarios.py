# SPDX-License-Identifier: GPL-2.0-or-later
"""I/O scenarios run in a child process inside an nslab lab; prints one JSON object.

Usage: python ns_scenarios.py SCENARIO LAB_NAME JSON_ARGS

Every socket is created inside a lab host's namespace (``Host.entered()``
switches this process's main thread there); sender and receiver then share
one asyncio loop.  The pytest side (test_*.py) makes the assertions, so a
failure shows the whole result.
"""

from __future__ import annotations

import asyncio
import json
import struct
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

import nslab
from phc import SimulatedClock
from nslab.host import Host
from ptpbridge.io.udp import Family
from ptpbridge.io import (
    IoSetupError,
    L2Config,
    PacketTimestamp,
    RxPacket,
    TimestampingEndpoint,
    TimestampingUnavailable,
    TxHandle,
    UdpConfig,
    open_l2_endpoint,
    open_udp_endpoint,
)

PTP_L2_MAC = "01:1b:19:00:00:00"
PTP_ETHERTYPE = 0x88F7
WAIT_S = 15.0  # generous: the machine is shared; nothing asserts on durations


def sim_clock(args: dict[str, Any]) -> SimulatedClock:
    """The daemon clock of a lab host: system time with a known error, no noise."""
    return SimulatedClock(offset_ns=args.get("offset_ns", 0),
                          frequency_error_ppb=args.get("freq_ppb", 0.0))


def realtime() -> int:
    return time.clock_gettime_ns(time.CLOCK_REALTIME)


def stamp(ts: PacketTimestamp | None) -> dict[str, Any] | None:
    return None if ts is None else {"ns": ts.ns, "raw": ts.raw_ns, "source": ts.source}


def handle_json(h: TxHandle) -> dict[str, Any]:
    return {
        "key": h.key, "done": h.done, "ts": stamp(h.result()),
        "errno": None if h.error is None else h.error.errno,
    }


def mac_of(host: Host) -> str:
    out = host.run(["ip", "-j", "link", "show", host.ifname], check=True).stdout
    return str(json.loads(out)[0]["address"])


def link_local_of(host: Host) -> str:
    out = host.run(["ip", "-j", "-6", "addr", "show", "dev", host.ifname, "scope", "link"],
                   check=True).stdout
    return next(str(a["local"]) for a in json.loads(out)[0]["addr_info"] if "local" in a)


async def collect(ep: TimestampingEndpoint[Any], count: int) -> list[RxPacket[Any]]:
    got: list[RxPacket[Any]] = []
    async with asyncio.timeout(WAIT_S):
        while len(got) < count:
            got.append(await ep.recv())
    return got


def payload_of(i: int) -> bytes:
    """Packet i of a burst: its index, then 40..46 bytes (PTP-sized, lengths vary)."""
    return struct.pack("!I", i) + bytes(40 + i % 7)


def rx_json(p: RxPacket[Any], expect: int | None) -> dict[str, Any]:
    (i,) = struct.unpack_from("!I", p.data)
    return {"i": i, "payload_ok": p.data == payload_of(i), "ts": stamp(p.timestamp), "expect": expect,
            "addr": p.addr if isinstance(p.addr, str) else p.addr[0]}


async def burst(lab: nslab.Lab, args: dict[str, Any]) -> dict[str, Any]:
    """h1 sends ``count`` packets to a multicast group / MAC that h2 joined.

    Every ``skip_every``-th send asks for no TX timestamp (it must take no key).
    """
    h1, h2 = lab["h1"], lab["h2"]
    kind: str = args["kind"]
    clock = sim_clock(args)
    port = 31900
    eps: list[TimestampingEndpoint[Any]] = []
    tx: TimestampingEndpoint[Any]
    rx: TimestampingEndpoint[Any]
    try:
        if kind == "l2":
            with h1.entered():
                tx = open_l2_endpoint(L2Config(h1.ifname, PTP_ETHERTYPE), clock, mode="auto")
                eps.append(tx)
            with h2.entered():
                rx = open_l2_endpoint(L2Config(h2.ifname, PTP_ETHERTYPE, (PTP_L2_MAC,)), clock,
                                      mode="software")
                eps.append(rx)
            dest: Any = PTP_L2_MAC
            sender = mac_of(h1)
        else:
            family: Family = "ipv4" if kind == "ipv4" else "ipv6"
            group = args["group"]
            with h1.entered():
                # Joined like a PTP port that sends and receives: loop off, it hears nothing of its own.
                tx = open_udp_endpoint(UdpConfig(h1.ifname, port, family, multicast_groups=(group,)),
                                       clock, mode="auto")
                eps.append(tx)
            with h2.entered():
                rx = open_udp_endpoint(UdpConfig(h2.ifname, port, family, multicast_groups=(group,),
                                                 reuse_addr=True), clock, mode="software")
                eps.append(rx)
                # Same port, no group joined: must not get the group's traffic.
                bystander = open_udp_endpoint(UdpConfig(h2.ifname, port, family, reuse_addr=True),
                                              clock, mode="software")
                eps.append(bystander)
            dest = (group, port)
            sender = h1.ipv4 if family == "ipv4" else h1.ipv6
            if group.startswith("ff02:"):
                sender = link_local_of(h1)  # the kernel's source for link-scope groups
        count, skip_every, chunk = args["count"], args["skip_every"], args["chunk"]
        handles: list[TxHandle] = []
        wanted: list[bool] = []
        t0 = realtime()
        for i in range(count):
            want = skip_every == 0 or i % skip_every != skip_every - 1
            handles.append(tx.send(payload_of(i), dest, timestamp=want))
            wanted.append(want)
            if i % chunk == chunk - 1:
                await asyncio.sleep(0)  # let the loop drain both queues between chunks
        packets = await collect(rx, count)
        stamps = [await h.timestamp() for h in handles]
        t1 = realtime()

        def expect(ts: PacketTimestamp | None) -> int | None:
            return None if ts is None else clock.from_system_ns(ts.raw_ns)

        return {
            "t0": t0, "t1": t1, "sender": sender, "tx_mode": tx.mode, "tx_reason": tx.mode_reason,
            "rx_mode": rx.mode,
            "sent": [{"i": i, "want": w, **handle_json(h), "expect": expect(h.result())}
                     for i, (h, w) in enumerate(zip(handles, wanted))],
            "all_stamped": all(s is not None for s, w in zip(stamps, wanted) if w),
            "received": [rx_json(p, expect(p.timestamp)) for p in packets],
            "tx_counters": tx.counters.as_dict(), "rx_counters": rx.counters.as_dict(),
            "bystander_rx": None if kind == "l2" else eps[2].counters.rx_packets,
        }
    finally:
        for ep in eps:
            ep.close()


async def timeout(lab: nslab.Lab, args: dict[str, Any]) -> dict[str, Any]:
    """Sends whose TX timestamp never comes (no such neighbour), then a normal one."""
    h1, h2 = lab["h1"], lab["h2"]
    clock = sim_clock({})
    port, patient_port = 31901, 31905
    tx_timeout = args["tx_timeout"]
    with h1.entered():
        tx = open_udp_endpoint(UdpConfig(h1.ifname, port), clock, mode="software",
                               tx_timeout=tx_timeout)
        # The endpoint would wait a minute: only the caller's own timeout can end this wait.
        patient = open_udp_endpoint(UdpConfig(h1.ifname, patient_port), clock, mode="software",
                                    tx_timeout=60.0)
    with h2.entered():
        rx = open_udp_endpoint(UdpConfig(h2.ifname, port), clock, mode="software")
    try:
        ghost = (args["ghost"], port)
        called: list[int | None] = []
        lost = tx.send(b"to nobody", ghost)
        lost.add_done_callback(lambda h: called.append(h.key))
        async with asyncio.timeout(WAIT_S):
            lost_ts = await lost.timestamp()  # ended by the endpoint's TX timeout
        after_lost = tx.counters.as_dict()
        good = tx.send(b"to h2", (h2.ipv4, port))
        good_ts = await good.timestamp()
        packets = await collect(rx, 1)
        impatient = patient.send(b"to nobody again", ghost)
        async with asyncio.timeout(WAIT_S):
            impatient_ts = await impatient.timestamp(args["await_timeout"])
        patient_after = patient.counters.as_dict()
        # Only error-queue readiness can settle this one in time (its deadline is a minute away).
        heard = patient.send(b"to h2 again", (h2.ipv4, port))
        async with asyncio.timeout(WAIT_S):
            heard_ts = await heard.timestamp()
        packets += await collect(rx, 1)
        # Past every deadline: nothing may be counted twice or left pending.
        await asyncio.sleep(tx_timeout + 0.1)
        return {
            "lost": handle_json(lost), "lost_ts": stamp(lost_ts), "callback_keys": called,
            "after_lost": after_lost,
            "good": handle_json(good), "good_ts": stamp(good_ts),
            "rx_data": packets[0].data.decode(), "rx_ts": stamp(packets[0].timestamp),
            "final": tx.counters.as_dict(), "pending": tx.pending_tx,
            "impatient": handle_json(impatient), "impatient_ts": stamp(impatient_ts),
            "patient_after": patient_after, "patient_pending": patient.pending_tx,
            "heard": handle_json(heard), "heard_ts": stamp(heard_ts),
            "rx_all": [p.data.decode() for p in packets],
        }
    finally:
        for ep in (tx, patient, rx):
            ep.close()


async def unicast_reply(lab: nslab.Lab, args: dict[str, Any]) -> dict[str, Any]:
    """An NTP-server shape: reuse-port workers on one port answer from their
    on_packet callback to the sender's address; clients from many ports."""
    h1, h2 = lab["h1"], lab["h2"]
    family: Family = args["family"]
    server_ip, client_ip = (h2.ipv4, h1.ipv4) if family == "ipv4" else (h2.ipv6, h1.ipv6)
    clock = sim_clock({})
    port, clients = args["port"], args["clients"]
    served: list[dict[str, Any]] = []
    replies: list[tuple[RxPacket[Any], TxHandle]] = []
    eps: list[TimestampingEndpoint[Any]] = []

    def serve(worker: int) -> Callable[[RxPacket[Any]], None]:
        def on_packet(p: RxPacket[Any]) -> None:
            replies.append((p, workers[worker].send(b"re:" + p.data, p.addr)))
        return on_packet

    try:
        workers: list[TimestampingEndpoint[Any]] = []
        with h2.entered():
            for w in range(args["workers"]):
                workers.append(open_udp_endpoint(
                    UdpConfig(h2.ifname, port, family, reuse_port=True), clock,
                    mode="software", on_packet=serve(w)))
                eps.append(workers[-1])
            try:
                open_udp_endpoint(UdpConfig(h2.ifname, port, family), clock, mode="software").close()
                exclusive_bind = "opened"
            except IoSetupError as exc:
                exclusive_bind = str(exc)
        with h1.entered():
            cl = [open_udp_endpoint(UdpConfig(h1.ifname, 0, family), clock, mode="software")
                  for _ in range(clients)]
            eps += cl
        requests = [c.send(f"req{i}".encode(), (server_ip, port)) for i, c in enumerate(cl)]
        answers = [(await collect(c, 1))[0] for c in cl]
        for (p, h) in replies:
            await h.timestamp()
        for i, (c, req, ans) in enumerate(zip(cl, requests, answers)):
            p, h = next((p, h) for p, h in replies if p.data == f"req{i}".encode())
            served.append({
                "client_tx": stamp(req.result()), "server_rx": stamp(p.timestamp),
                "server_tx": stamp(h.result()), "client_rx": stamp(ans.timestamp),
                "request_from": p.addr[0], "answer": ans.data.decode(), "answer_from": ans.addr[0],
            })
        return {
            "served": served, "client_ip": client_ip, "server_ip": server_ip,
            "exclusive_bind": exclusive_bind,
            "worker_counters": [w.counters.as_dict() for w in workers],
        }
    finally:
        for ep in eps:
            ep.close()


def nft(host: Host, script: str) -> None:
    host.run(["nft", "-f", "-"], check=True, input=script)


async def send_errors(lab: nslab.Lab, args: dict[str, Any]) -> dict[str, Any]:
    """Failed sends (before and after the kernel takes the OPT_ID key), each followed
    by a good send whose timestamp must still match."""
    h1, h2 = lab["h1"], lab["h2"]
    clock = sim_clock({})
    port, blocked_port = 31902, 31903
    table = "pbio_test"
    with h1.entered():
        tx = open_udp_endpoint(UdpConfig(h1.ifname, port), clock, mode="software", tx_timeout=2.0)
        l2tx = open_l2_endpoint(L2Config(h1.ifname, PTP_ETHERTYPE), clock, mode="software",
                                tx_timeout=2.0)
    with h2.entered():
        rx = open_udp_endpoint(UdpConfig(h2.ifname, port), clock, mode="software")
        l2rx = open_l2_endpoint(L2Config(h2.ifname, PTP_ETHERTYPE, (PTP_L2_MAC,)), clock,
                                mode="software")
    steps: list[dict[str, Any]] = []

    async def good_udp(label: str) -> None:
        h = tx.send(label.encode(), (h2.ipv4, port))
        ts = await h.timestamp()
        steps.append({"step": label, **handle_json(h), "got": stamp(ts)})

    async def good_l2(label: str) -> None:
        h = l2tx.send(label.encode().ljust(44, b"\0"), PTP_L2_MAC)
        ts = await h.timestamp()
        steps.append({"step": label, **handle_json(h), "got": stamp(ts)})

    try:
        await good_udp("udp-first")
        # Refused before the packet is built: no key taken.
        broadcast = tx.send(b"x", (args["broadcast"], port))  # no SO_BROADCAST: EACCES
        steps.append({"step": "udp-broadcast-refused", **handle_json(broadcast)})
        await good_udp("udp-after-refused")
        oversize = tx.send(bytes(70000), (h2.ipv4, port))  # EMSGSIZE
        steps.append({"step": "udp-oversize", **handle_json(oversize)})
        await good_udp("udp-after-oversize")
        # Dropped after it was built: the key is gone.
        nft(h1, f"table inet {table} {{\n chain out {{\n  type filter hook output priority 0\n"
                f"  udp dport {blocked_port} drop\n }}\n}}\n")
        try:
            dropped = tx.send(b"x", (h2.ipv4, blocked_port))
            steps.append({"step": "udp-netfilter-drop", **handle_json(dropped)})
        finally:
            nft(h1, f"delete table inet {table}")
        await good_udp("udp-after-drop")
        await good_l2("l2-first")
        oversize = l2tx.send(bytes(9000), PTP_L2_MAC)  # beyond the MTU: EMSGSIZE, no key
        steps.append({"step": "l2-oversize", **handle_json(oversize)})
        await good_l2("l2-after-oversize")
        nft(h1, f"table netdev {table} {{\n chain eg {{\n  type filter hook egress device "
                f"{h1.ifname} priority 0\n  ether type 0x{PTP_ETHERTYPE:04x} drop\n }}\n}}\n")
        try:
            dropped = l2tx.send(b"x".ljust(44, b"\0"), PTP_L2_MAC)
            steps.append({"step": "l2-egress-drop", **handle_json(dropped)})
            dropped_ts = await dropped.timestamp()
            steps[-1]["got"] = stamp(dropped_ts)
        finally:
            nft(h1, f"delete table netdev {table}")
        await good_l2("l2-after-drop")
        received = await collect(rx, 4)
        l2_received = await collect(l2rx, 3)
        return {
            "steps": steps,
            "udp_received": [p.data.decode() for p in received],
            "l2_received": [p.data.rstrip(b"\0").decode() for p in l2_received],
            "udp_counters": tx.counters.as_dict(), "l2_counters": l2tx.counters.as_dict(),
        }
    finally:
        for ep in (tx, l2tx, rx, l2rx):
            ep.close()


async def modes(lab: nslab.Lab, args: dict[str, Any]) -> dict[str, Any]:
    """What hardware and auto mode do on veth (software timestamping only)."""
    h1 = lab["h1"]
    clock = sim_clock({})
    out: dict[str, Any] = {}
    with h1.entered():
        for kind in ("udp", "l2"):
            try:
                if kind == "udp":
                    ep: TimestampingEndpoint[Any] = open_udp_endpoint(
                        UdpConfig(h1.ifname, 31904), clock, mode="hardware")
                else:
                    ep = open_l2_endpoint(L2Config(h1.ifname, PTP_ETHERTYPE), clock, mode="hardware")
                out[f"{kind}_hardware"] = {"opened": True, "mode": ep.mode}
                ep.close()
            except TimestampingUnavailable as exc:
                out[f"{kind}_hardware"] = {"opened": False, "error": str(exc),
                                           "interface": exc.interface}
        auto = open_udp_endpoint(UdpConfig(h1.ifname, 31904), clock, mode="auto")
        out["auto"] = {"mode": auto.mode, "reason": auto.mode_reason}
        auto.close()
        # The port is free again after close: nothing was left open by the failures.
        again = open_udp_endpoint(UdpConfig(h1.ifname, 31904), clock, mode="software")
        out["software"] = {"mode": again.mode, "reason": again.mode_reason}
        again.close()
        try:
            open_udp_endpoint(UdpConfig("nonexistent0", 31904), clock, mode="software")
            out["missing_interface"] = None
        except IoSetupError as exc:
            out["missing_interface"] = str(exc)
    return out


SCENARIOS: dict[str, Callable[[nslab.Lab, dict[str, Any]], Coroutine[Any, Any, dict[str, Any]]]] = {
    "burst": burst, "timeout": timeout, "unicast_reply": unicast_reply, "send_errors": send_errors, "modes": modes,
}


def main() -> None:
    name, lab_name, raw_args = sys.argv[1], sys.argv[2], sys.argv[3]
    lab = nslab.attach(lab_name)
    result = asyncio.run(SCENARIOS[name](lab, json.loads(raw_args)))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
