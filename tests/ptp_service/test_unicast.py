# SPDX-License-Identifier: GPL-2.0-or-later
"""Delay_Resp to unicast Delay_Req: the hybrid fast path says exactly what the core says.

The fast path packs the core's own Delay_Resp template with the request's
fields; a property test proves the result byte-identical to
``Port.messages.delay_resp`` for any request, and the lab tests check what a requester receives: unicast in
hybrid mode (from the fast path, or from the core for a request with
TLVs), on the multicast group with unicastFlag clear otherwise.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nslab
from nslab.pytest_plugin import MakeLab
from ptpbridge.core.ptp import ClockConfig, PortConfig, PtpClock
from ptpbridge.daemon.ptp_unicast import DelayRespWriter, delay_resp_template, parse_request
from ptpbridge.wire.ptp.constants import EVENT_PORT, GENERAL_PORT, IPV4_PRIMARY, Flag, MessageType
from ptpbridge.wire.ptp.fast import DelayReqMsg, DelayRespMsg, decode, encode, header_for
from ptpbridge.wire.ptp.values import ClockIdentity, PortIdentity

from .helpers import grandmaster

UTC_OFFSET_NS = 37_000_000_000
NS = 1_000_000_000


def _request(seq: int, correction: int, requester: PortIdentity, domain: int = 0, tlvs: bytes = b"") -> bytes:
    header = header_for(MessageType.DELAY_REQ, domain=domain, flags=int(Flag.UNICAST), sequence_id=seq,
                        correction=correction, source_port_identity=requester)
    return encode(DelayReqMsg.make(header, tlvs=tlvs))


@settings(max_examples=300, deadline=None)
@given(seq=st.integers(0, 0xFFFF), correction=st.integers(-(1 << 63), (1 << 63) - 1),
       identity=st.binary(min_size=8, max_size=8), number=st.integers(0, 0xFFFF),
       receive_ns=st.integers(0, ((1 << 48) - 1) * NS), domain=st.integers(0, 255),
       log_delay=st.integers(-7, 6))
def test_fast_path_reply_is_the_cores(seq: int, correction: int, identity: bytes, number: int, receive_ns: int,
                                      domain: int, log_delay: int) -> None:
    clock: PtpClock[object] = PtpClock(
        ClockConfig(clock_identity=ClockIdentity.parse("02aa00.fffe.000001"), domain_number=domain),
        [PortConfig(log_min_delay_req_interval=log_delay)])
    port = clock.port(1)
    requester = PortIdentity(ClockIdentity(identity), number)
    request = _request(seq, correction, requester, domain)
    b0, b1, length, dom, wire_correction, wire_requester, wire_seq = parse_request(b"junk" + request, 4)
    assert (b0, b1 & 0x0F, length, dom) == (MessageType.DELAY_REQ, 2, 44, domain)
    out = bytearray(b"\xee" * 70)
    DelayRespWriter(delay_resp_template(port)).write(out, 9, wire_correction, wire_seq, wire_requester, receive_ns)
    assert bytes(out[9:63]) == port.messages.delay_resp(seq, receive_ns, requester, correction, unicast=True)
    assert out[:9] == b"\xee" * 9 and out[63:] == b"\xee" * 7


# --- in the lab ----------------------------------------------------------------------

REQUESTER = PortIdentity(ClockIdentity.parse("02bb00.fffe.0000bb"), 7)


@pytest.fixture(scope="module")
def lab(make_module_lab: MakeLab) -> nslab.Lab:
    return make_module_lab("pair")


@pytest.fixture
def requester(lab: nslab.Lab) -> Iterator[tuple[socket.socket, socket.socket]]:
    """(event socket sending Delay_Req, general socket bound to 320 in the multicast group) in h2."""
    h2 = lab["h2"]
    event = h2.socket(socket.AF_INET, socket.SOCK_DGRAM)
    general = h2.socket(socket.AF_INET, socket.SOCK_DGRAM)
    general.bind(("0.0.0.0", GENERAL_PORT))
    ifindex = h2.in_thread(lambda: socket.if_nametoindex(h2.ifname))
    mreqn = struct.pack("=4s4si", socket.inet_aton(IPV4_PRIMARY), bytes(4), ifindex)
    general.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
    general.settimeout(5)
    try:
        yield event, general
    finally:
        event.close()
        general.close()


def _reply_to(general: socket.socket, seq: int) -> tuple[DelayRespMsg, str]:
    """The Delay_Resp for sequenceId `seq` (other traffic on 320, Follow_Up and Announce, skipped)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        data, _ = general.recvfrom(2048)
        msg = decode(data)
        if isinstance(msg, DelayRespMsg) and msg.sequence_id == seq and msg.requesting_port_identity == REQUESTER:
            return msg, data.hex()
    raise AssertionError(f"no Delay_Resp for sequenceId {seq}")


def _check(msg: DelayRespMsg, seq: int, sent_utc_ns: int, unicast: bool, identity: str) -> None:
    assert msg.sequence_id == seq and msg.correction == 12345 << 16
    assert bool(msg.flags & int(Flag.UNICAST)) is unicast
    assert str(msg.source_port_identity.clock_identity) == identity
    receive_tai = msg.receive_timestamp[0] * NS + msg.receive_timestamp[1]
    # Our TAI, stamped when the request arrived: the send time plus 37 s and a wire's worth.
    assert 0 <= receive_tai - (sent_utc_ns + UTC_OFFSET_NS) < NS, receive_tai - sent_utc_ns


@pytest.mark.netns
@pytest.mark.parametrize("hybrid", [True, False])
def test_requester_gets_the_answer(lab: nslab.Lab, requester: tuple[socket.socket, socket.socket],
                                   hybrid: bool) -> None:
    h1 = lab["h1"]
    event, general = requester
    with grandmaster(h1, hybrid=hybrid, name=f"gm-unicast-{hybrid}") as gm:
        gm.wait_for_port_state("MASTER", timeout=20)
        identity = gm.ptp()["clock_identity"]
        for seq, tlvs in ((100, b""), (101, struct.pack(">HH", 0x8008, 4) + bytes(4))):  # the second with a PAD TLV
            sent = time.clock_gettime_ns(time.CLOCK_REALTIME)
            event.sendto(_request(seq, 12345 << 16, REQUESTER, tlvs=tlvs), (h1.ipv4, EVENT_PORT))
            msg, _ = _reply_to(general, seq)
            _check(msg, seq, sent, unicast=hybrid, identity=identity)
        port = gm.ptp()["ports"][0]
    assert port["received"]["DELAY_REQ"] == 2 and port["sent"]["DELAY_RESP"] == 2
    if hybrid:
        # The plain request took the fast path; the one with a TLV went to the core.
        assert port["unicast_fast_path"]["answered"] == 1 and port["unicast_fast_path"]["to_core"] == 1
