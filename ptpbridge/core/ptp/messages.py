# SPDX-License-Identifier: GPL-2.0-or-later
"""One port's outgoing messages: fixed header fields once, per-message fields patched in.

Sync, Follow_Up, Delay_Req, Delay_Resp and the peer delay messages go out
up to hundreds of times a second, so each is a ``MessageTemplate`` built
at port start and patched in place (sequenceId, flags, correctionField,
timestamp, requestingPortIdentity); Announce is built whole, being rare.

Header fields follow IEEE 1588-2019 13.3.2: logMessageInterval is the
port's logSyncInterval for Sync/Follow_Up, its logMinDelayReqInterval for
Delay_Resp, its logAnnounceInterval for Announce and 0x7F for Delay_Req and
the peer delay messages; twoStepFlag is set on Sync and Pdelay_Resp (we are
a two-step clock); unicastFlag when the message goes to one address; the
timePropertiesDS flags ride only on Announce (Table 37 defines them for
Announce; linuxptp does the same).

Delay_Resp correctionField: the Delay_Req's correctionField, unchanged
(11.3.2). The standard moves any sub-nanosecond part of the receive
timestamp into correctionField; our timestamps are whole ns, so that part
is always zero and there is nothing to move.
"""

from __future__ import annotations

from ptpbridge.wire.ptp.constants import Flag, MessageType
from ptpbridge.wire.ptp.fast import (
    AnnounceMsg,
    DelayReqMsg,
    DelayRespMsg,
    FollowUpMsg,
    MessageTemplate,
    PdelayReqMsg,
    PdelayRespFollowUpMsg,
    PdelayRespMsg,
    SyncMsg,
    encode,
    header_for,
)
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality, PortIdentity, Timestamp

_TWO_STEP = int(Flag.TWO_STEP)
_UNICAST = int(Flag.UNICAST)


def _response(
    t: MessageTemplate, sequence_id: int, timestamp_ns: int, requesting: PortIdentity, correction: int, unicast: bool
) -> bytes:
    """Patch a Delay_Resp or Pdelay_Resp_Follow_Up template: both carry a correction and a requester."""
    t.set_sequence_id(sequence_id)
    t.set_flags(_UNICAST if unicast else 0)
    t.set_correction(correction)
    t.set_timestamp_ns(timestamp_ns)
    t.set_requesting_port_identity(requesting)
    return bytes(t.buf)


class PortMessages:
    """Builders for everything one port sends (except management replies)."""

    def __init__(
        self,
        identity: PortIdentity,
        *,
        domain: int,
        major_sdo_id: int,
        minor_sdo_id: int,
        log_announce_interval: int,
        log_sync_interval: int,
        log_min_delay_req_interval: int,
    ) -> None:
        self.identity = identity
        self._domain = domain
        self._major = major_sdo_id
        self._minor = minor_sdo_id
        self._log_announce = log_announce_interval

        common: dict[str, object] = {
            "domain": domain,
            "major_sdo_id": major_sdo_id,
            "minor_sdo_id": minor_sdo_id,
            "source_port_identity": identity,
        }
        mt = MessageType
        self._sync = MessageTemplate(
            SyncMsg.make(header_for(mt.SYNC, flags=_TWO_STEP, log_message_interval=log_sync_interval, **common))
        )
        self._follow_up = MessageTemplate(
            FollowUpMsg.make(header_for(mt.FOLLOW_UP, log_message_interval=log_sync_interval, **common))
        )
        self._delay_resp = MessageTemplate(
            DelayRespMsg.make(header_for(mt.DELAY_RESP, log_message_interval=log_min_delay_req_interval, **common))
        )
        # header_for gives Delay_Req and the peer delay messages logMessageInterval 0x7F.
        self._delay_req = MessageTemplate(DelayReqMsg.make(header_for(mt.DELAY_REQ, **common)))
        self._pdelay_req = MessageTemplate(PdelayReqMsg.make(header_for(mt.PDELAY_REQ, **common)))
        self._pdelay_resp = MessageTemplate(
            PdelayRespMsg.make(header_for(mt.PDELAY_RESP, flags=_TWO_STEP, **common))
        )
        self._pdelay_resp_fup = MessageTemplate(
            PdelayRespFollowUpMsg.make(header_for(mt.PDELAY_RESP_FOLLOW_UP, **common))
        )

    # -- master ---------------------------------------------------------------

    def sync(self, sequence_id: int, origin_ns: int, *, unicast: bool = False) -> bytes:
        t = self._sync
        t.set_sequence_id(sequence_id)
        t.set_flags(_TWO_STEP | (_UNICAST if unicast else 0))
        t.set_timestamp_ns(origin_ns)
        return bytes(t.buf)

    def follow_up(self, sequence_id: int, precise_origin_ns: int, *, unicast: bool = False) -> bytes:
        t = self._follow_up
        t.set_sequence_id(sequence_id)
        t.set_flags(_UNICAST if unicast else 0)
        t.set_timestamp_ns(precise_origin_ns)
        return bytes(t.buf)

    def delay_resp(
        self,
        sequence_id: int,
        receive_ns: int,
        requesting: PortIdentity,
        correction: int,
        *,
        unicast: bool = False,
    ) -> bytes:
        return _response(self._delay_resp, sequence_id, receive_ns, requesting, correction, unicast)

    def announce(
        self,
        sequence_id: int,
        origin_ns: int,
        *,
        time_flags: int,
        current_utc_offset: int,
        grandmaster_priority1: int,
        grandmaster_clock_quality: ClockQuality,
        grandmaster_priority2: int,
        grandmaster_identity: ClockIdentity,
        steps_removed: int,
        time_source: int,
    ) -> bytes:
        header = header_for(
            MessageType.ANNOUNCE,
            domain=self._domain,
            major_sdo_id=self._major,
            minor_sdo_id=self._minor,
            source_port_identity=self.identity,
            sequence_id=sequence_id,
            flags=time_flags,
            log_message_interval=self._log_announce,
        )
        return encode(
            AnnounceMsg.make(
                header,
                Timestamp.from_ns(origin_ns),
                current_utc_offset,
                grandmaster_priority1,
                grandmaster_clock_quality,
                grandmaster_priority2,
                grandmaster_identity,
                steps_removed,
                time_source,
            )
        )

    # -- slave and peer delay -----------------------------------------------------

    def delay_req(self, sequence_id: int, origin_ns: int) -> bytes:
        t = self._delay_req
        t.set_sequence_id(sequence_id)
        t.set_timestamp_ns(origin_ns)
        return bytes(t.buf)

    def pdelay_req(self, sequence_id: int, origin_ns: int) -> bytes:
        t = self._pdelay_req
        t.set_sequence_id(sequence_id)
        t.set_timestamp_ns(origin_ns)
        return bytes(t.buf)

    def pdelay_resp(
        self, sequence_id: int, request_receipt_ns: int, requesting: PortIdentity, *, unicast: bool = False
    ) -> bytes:
        t = self._pdelay_resp
        t.set_sequence_id(sequence_id)
        t.set_flags(_TWO_STEP | (_UNICAST if unicast else 0))
        t.set_timestamp_ns(request_receipt_ns)
        t.set_requesting_port_identity(requesting)
        return bytes(t.buf)

    def pdelay_resp_follow_up(
        self,
        sequence_id: int,
        response_origin_ns: int,
        requesting: PortIdentity,
        correction: int,
        *,
        unicast: bool = False,
    ) -> bytes:
        return _response(self._pdelay_resp_fup, sequence_id, response_origin_ns, requesting, correction, unicast)
