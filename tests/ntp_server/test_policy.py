# SPDX-License-Identifier: GPL-2.0-or-later
"""Access control, rate limiting and keys, proven with real clients against `ptpbridge run`.

Lab star of three hosts, our daemon on h1. One daemon allows the lab but
denies h3's IPv6 address and holds a key file; chronyd clients (-x) use the
right AES-CMAC and SHA1 keys and a wrong one, ntpdig is refused over IPv6
and answered over IPv4. A second daemon limits the rate (chrony's
`ratelimit` with a RATE kiss-o'-death); tshark sees the kiss codes.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from nslab.peers import Capture, Chronyd, ntpdig
from ptpbridge.bench.ntp_lab import PtpbridgeNtp, ntp_config

from ._helpers import PEERS, poll, request

pytestmark = PEERS

AES = "HEX:000102030405060708090A0B0C0D0E0F"
SHA1 = "HEX:933F62BE1D604E68A81B557F18CFA200483F5B70"
SERVER_KEYS = f"1 AES128 {AES}\n2 SHA1 {SHA1}\n3 AES128 HEX:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\n"
# The client's key 3 is not the server's.
CLIENT_KEYS = {1: ("AES128", AES), 2: ("SHA1", SHA1), 3: ("AES128", "HEX:0F0E0D0C0B0A09080706050403020100")}

INTERVAL, BURST, LEAK = -1, 4, 2  # a response per 0.5 s, 4 in reserve, 1 in 4 of the rest leaks


@pytest.fixture(scope="module")
def lab(make_module_lab: Any) -> Any:
    return make_module_lab("star", hosts=3)


@pytest.fixture(scope="module")
def guarded(lab: Any) -> Iterator[PtpbridgeNtp]:
    """Allows the lab but not h3's IPv6 address; keys from a chrony-format file."""
    keyfile = lab["h1"].workdir / "server.keys"
    keyfile.parent.mkdir(parents=True, exist_ok=True)
    keyfile.write_text(SERVER_KEYS)
    extra = f'deny = ["{lab["h3"].ipv6}/128"]\nkey_file = "{keyfile}"\n'
    ours = PtpbridgeNtp(lab["h1"], ntp_config(workers=2, extra=extra)).start()
    try:
        yield ours
    finally:
        ours.stop()


def _ntpdata(client: Chronyd, address: str) -> dict[str, str]:
    out = client.chronyc("-n", "ntpdata", address)
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines()) if v}


def test_denied_client_gets_no_reply(lab: Any, guarded: PtpbridgeNtp) -> None:
    h1, h3 = lab["h1"], lab["h3"]
    with pytest.raises(RuntimeError, match="gave no answer"):
        ntpdig(h3, h1.ipv6, timeout_s=2)
    # The deny is for that /128 only: the same host over IPv4 is served.
    assert ntpdig(h3, h1.ipv4).stratum == 1
    denied = poll("access drop", lambda: next((c for c in guarded.clients()["clients"]
                                               if c["address"] == h3.ipv6 and c["drops"] > 0), None))
    assert denied["requests"] == denied["drops"]
    assert guarded.ntp()["counters"]["dropped"]["access"] == denied["drops"]


def test_chronyd_authenticates_with_aes_cmac_and_sha1_and_is_refused_with_a_wrong_key(
        lab: Any, guarded: PtpbridgeNtp) -> None:
    h1, h2, h3 = lab["h1"], lab["h2"], lab["h3"]
    clients = {
        "aes": Chronyd.client(h2, [h1.ipv4], minpoll=-4, maxpoll=-4, key_id=1, keys=CLIENT_KEYS, name="aes"),
        "sha1": Chronyd.client(h3, [h1.ipv4], minpoll=-4, maxpoll=-4, key_id=2, keys=CLIENT_KEYS, name="sha1"),
        "wrong": Chronyd.client(h2, [h1.ipv6], minpoll=-4, maxpoll=-4, key_id=3, keys=CLIENT_KEYS, name="wrong"),
    }
    try:
        for client in clients.values():
            client.start()
        for name in ("aes", "sha1"):
            clients[name].wait_for_measurements(5, timeout=60)
        poll("wrong-key requests", lambda: True if int(_ntpdata(clients["wrong"], h1.ipv6).get(
            "Total TX", "0")) >= 5 else None, 60)
        data = {"aes": _ntpdata(clients["aes"], h1.ipv4), "sha1": _ntpdata(clients["sha1"], h1.ipv4),
                "wrong": _ntpdata(clients["wrong"], h1.ipv6)}
    finally:
        for client in clients.values():
            client.stop()
    for name in ("aes", "sha1"):
        assert data[name]["Authenticated"] == "Yes", data[name]
        assert int(data[name]["Total good RX"]) >= 5, data[name]
    assert data["wrong"]["Total valid RX"] == "0", data["wrong"]
    counters = guarded.ntp()["counters"]
    assert counters["authenticated_replies"] >= 10
    # A bad MAC is answered with a crypto-NAK (RFC 5905), which chronyd does not accept as time.
    assert counters["crypto_naks"] >= int(data["wrong"]["Total TX"]) - 1 > 0
    keyed = {c["address"]: c["last_key_id"] for c in guarded.clients()["clients"]}
    assert keyed[h2.ipv4] == 1 and keyed[h3.ipv4] == 2 and keyed[h2.ipv6] == 3


def test_rate_limited_client_gets_rate_kod_and_no_more_than_its_share(lab: Any, guarded: PtpbridgeNtp) -> None:
    guarded.stop()  # one daemon at a time on port 123
    h1, h2 = lab["h1"], lab["h2"]
    extra = f"\n[ntp.ratelimit]\ninterval = {INTERVAL}\nburst = {BURST}\nleak = {LEAK}\nkod = true\n"
    ours = PtpbridgeNtp(h1, ntp_config(extra=extra), name="ratelimited").start()
    capture = Capture(h1, "udp port 123").start()
    sent = 60
    normal = kod = 0
    try:
        with h2.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((h2.ipv4, 0))
            sock.setblocking(False)
            first = time.monotonic()
            for i in range(sent):
                sock.sendto(request(0x4242_0000 + i), (h1.ipv4, 123))
                time.sleep(0.05)
            last = time.monotonic()
            sock.settimeout(1)
            while True:
                try:
                    reply = sock.recv(128)
                except (TimeoutError, BlockingIOError):
                    break
                if reply[1] == 0:
                    assert reply[12:16] == b"RATE" and reply[0] & 7 == 4
                    kod += 1
                else:
                    normal += 1
        counters = poll("all requests counted", lambda: c if (c := ours.ntp()["counters"])["received"] == sent
                        else None)
    finally:
        capture.stop()
        ours.stop()
    # The bucket holds BURST and refills one response per 2**INTERVAL s (+2: the sender's
    # clock and the server's see the span slightly differently). At 20 requests/s every
    # leak empties it again, so in practice only the burst is answered, as with chrony.
    assert BURST <= normal <= BURST + int((last - first) / 2.0**INTERVAL) + 2, (normal, last - first)
    over = sent - normal
    assert 1 <= kod <= over // 2**LEAK + 1, (kod, over)
    assert counters["kod_sent"] == {"RATE": kod}
    assert counters["dropped"]["rate"] == over - kod
    rows = capture.read(["ntp.flags.mode", "ntp.stratum", "ntp.refid"], "ntp.flags.mode == 4")
    kods = [r for r in rows if r[1] == "0"]
    assert len(rows) == normal + kod and len(kods) == kod
    # tshark shows a stratum-0 reference id as its four octets: the kiss code.
    assert {refid for _, _, refid in kods} == {b"RATE".hex()}
