# SPDX-License-Identifier: GPL-2.0-or-later
"""Management responder (IEEE 1588-2019 clause 15, plus linuxptp's _NP ids), as pmc expects it.

Management is rare, so the data sets are built with the scapy layers (the
canonical format definitions) rather than the struct codec.

What pmc sees, following linuxptp's clock_manage()/port_manage():

* A request is ours when its targetPortIdentity names our clockIdentity or
  all clocks, and its suffix is exactly one MANAGEMENT TLV; anything else is
  ignored silently (it may be for another node).
* Clock-level ids are answered once, from the port the request came in on;
  port-level ids once per port matching targetPortIdentity.portNumber
  (0xFFFF: every port), each with that port's identity as source. A
  port-level request matching no port gets WRONG_VALUE (IEEE 1588
  interpretation 21, as linuxptp).
* A response is a RESPONSE (ACKNOWLEDGE for COMMAND) with the request's
  sequenceId, targetPortIdentity = the requester, boundary hops per 15.3.1;
  it goes back unicast to a unicast request, else to the multicast group.
* SET is accepted for PRIORITY1 and PRIORITY2 only, and only when the
  clock's ``allow_management_set`` predicate accepts the sender; a refused
  SET gets NOT_SUPPORTED (what linuxptp answers to SETs from the network),
  a SET of another known id NOT_SETABLE, a wrong data length WRONG_LENGTH.
  An accepted SET answers with the new value and re-runs the BMCA.
* Unknown ids get NOT_SUPPORTED.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ptpbridge.core.ptp.actions import MULTICAST, Channel, Multicast
from ptpbridge.core.ptp.counters import DropReason
from ptpbridge.core.ptp.slave import SLAVE_STATES
from ptpbridge.wire.ptp.constants import (
    DDS_FLAG_SLAVE_ONLY,
    DDS_FLAG_TWO_STEP,
    SLAVE_ONLY_FLAG,
    TP_FLAG_FREQUENCY_TRACEABLE,
    TP_FLAG_LEAP59,
    TP_FLAG_LEAP61,
    TP_FLAG_PTP_TIMESCALE,
    TP_FLAG_TIME_TRACEABLE,
    TP_FLAG_UTC_OFFSET_VALID,
    ActionField,
    ClockType,
    DelayMechanism,
    Flag,
    ManagementErrorId,
    ManagementId,
    MessageType,
    TlvType,
)
from ptpbridge.wire.ptp.errors import PtpParseError
from ptpbridge.wire.ptp.fast import ManagementMsg, encode, header_for, iter_tlvs
from ptpbridge.wire.ptp.management import (
    MgmtAnnounceReceiptTimeout,
    MgmtClockAccuracy,
    MgmtClockDescription,
    MgmtCurrentDataSet,
    MgmtDefaultDataSet,
    MgmtDelayMechanism,
    MgmtDomain,
    MgmtLogAnnounceInterval,
    MgmtLogMinPdelayReqInterval,
    MgmtLogSyncInterval,
    MgmtParentDataSet,
    MgmtPortDataSet,
    MgmtPortPropertiesNP,
    MgmtPriority1,
    MgmtPriority2,
    MgmtSlaveOnly,
    MgmtTimePropertiesDataSet,
    MgmtTimescaleProperties,
    MgmtTimeStatusNP,
    MgmtTraceabilityProperties,
    MgmtUtcProperties,
    MgmtVersionNumber,
)
from ptpbridge.wire.ptp.tlvs import TLVManagement, TLVManagementErrorStatus
from ptpbridge.wire.ptp.values import CLOCK_IDENTITY_ALL, INT64_MAX, INT64_MIN

if TYPE_CHECKING:
    from ptpbridge.core.ptp.clock import PtpClock
    from ptpbridge.core.ptp.port import Port

A = TypeVar("A")

PORT_NUMBER_ALL = 0xFFFF
# profileIdentity of the default profiles (Annex I): delay request-response and peer-to-peer.
PROFILE_E2E = bytes.fromhex("001b19000100")
PROFILE_P2P = bytes.fromhex("001b19000200")


def _interval(ns: int) -> int:
    """ns as a TimeInterval (2^-16 ns), saturated to Integer64."""
    scaled = ns << 16
    return max(INT64_MIN, min(INT64_MAX, scaled))


class _Refused(Exception):
    def __init__(self, error: ManagementErrorId) -> None:
        super().__init__(error.name)
        self.error = error


class ManagementResponder(Generic[A]):
    def __init__(self, clock: PtpClock[A]) -> None:
        self.clock = clock
        self._clock_get: dict[int, Callable[[], Any]] = {
            ManagementId.NULL_PTP_MANAGEMENT: lambda: None,
            ManagementId.DEFAULT_DATA_SET: self._default_ds,
            ManagementId.CURRENT_DATA_SET: self._current_ds,
            ManagementId.PARENT_DATA_SET: self._parent_ds,
            ManagementId.TIME_PROPERTIES_DATA_SET: self._time_properties_ds,
            ManagementId.PRIORITY1: lambda: MgmtPriority1(priority1=clock.default_ds.priority1),
            ManagementId.PRIORITY2: lambda: MgmtPriority2(priority2=clock.default_ds.priority2),
            ManagementId.DOMAIN: lambda: MgmtDomain(domainNumber=clock.default_ds.domain_number),
            ManagementId.SLAVE_ONLY: lambda: MgmtSlaveOnly(
                flags=SLAVE_ONLY_FLAG if clock.default_ds.slave_only else 0
            ),
            ManagementId.CLOCK_ACCURACY: lambda: MgmtClockAccuracy(
                clockAccuracy=clock.default_ds.clock_quality.clock_accuracy
            ),
            ManagementId.UTC_PROPERTIES: self._utc_properties,
            ManagementId.TRACEABILITY_PROPERTIES: self._traceability,
            ManagementId.TIMESCALE_PROPERTIES: self._timescale,
            ManagementId.TIME_STATUS_NP: self._time_status_np,
        }
        self._port_get: dict[int, Callable[[Port[A]], Any]] = {
            ManagementId.CLOCK_DESCRIPTION: self._clock_description,
            ManagementId.PORT_DATA_SET: self._port_ds,
            ManagementId.LOG_ANNOUNCE_INTERVAL: lambda p: MgmtLogAnnounceInterval(
                logAnnounceInterval=p.ds.log_announce_interval
            ),
            ManagementId.ANNOUNCE_RECEIPT_TIMEOUT: lambda p: MgmtAnnounceReceiptTimeout(
                announceReceiptTimeout=p.ds.announce_receipt_timeout
            ),
            ManagementId.LOG_SYNC_INTERVAL: lambda p: MgmtLogSyncInterval(logSyncInterval=p.ds.log_sync_interval),
            ManagementId.VERSION_NUMBER: lambda p: MgmtVersionNumber(
                versionNumber=p.ds.version_number, minorVersionNumber=p.ds.minor_version_number
            ),
            ManagementId.DELAY_MECHANISM: lambda p: MgmtDelayMechanism(delayMechanism=p.ds.delay_mechanism),
            ManagementId.LOG_MIN_PDELAY_REQ_INTERVAL: lambda p: MgmtLogMinPdelayReqInterval(
                logMinPdelayReqInterval=p.ds.log_min_pdelay_req_interval
            ),
            ManagementId.PORT_PROPERTIES_NP: lambda p: MgmtPortPropertiesNP(
                portIdentity=p.identity,
                portState=p.state,
                timestamping=p.config.timestamping,
                interface=p.config.interface.encode(),
            ),
        }

    # -- entry -------------------------------------------------------------------

    def handle(
        self, port: Port[A], msg: ManagementMsg, source: A, unicast: bool, now_ns: int
    ) -> DropReason | None:
        """Answer one management message (or ignore it: it may be for someone else)."""
        try:
            self._handle(port, msg, source, unicast, now_ns)
        except PtpParseError:
            return DropReason.MALFORMED
        return None

    def _handle(self, port: Port[A], msg: ManagementMsg, source: A, unicast: bool, now_ns: int) -> None:
        clock = self.clock
        target = msg.target_port_identity
        if target.clock_identity not in (CLOCK_IDENTITY_ALL, clock.default_ds.clock_identity):
            port.counters.ignored += 1
            return
        tlvs = iter_tlvs(msg.tlvs)
        if len(tlvs) != 1 or tlvs[0][0] != TlvType.MANAGEMENT or len(tlvs[0][1]) < 2:
            port.counters.ignored += 1
            return
        value = tlvs[0][1]
        management_id = (value[0] << 8) | value[1]
        data = value[2:]
        action = msg.action
        if action not in (ActionField.GET, ActionField.SET, ActionField.COMMAND):
            port.counters.ignored += 1  # responses and acknowledgements of other managers
            return
        reply_action = ActionField.ACKNOWLEDGE if action == ActionField.COMMAND else ActionField.RESPONSE
        if action == ActionField.SET:
            body = self._set(management_id, data, source, now_ns)
            self._reply(port, port, msg, source, unicast, reply_action, management_id, body, now_ns)
        elif action == ActionField.COMMAND:
            self._reply(port, port, msg, source, unicast, reply_action, management_id,
                        _Refused(ManagementErrorId.NOT_SUPPORTED), now_ns)  # fmt: skip
        elif management_id in self._clock_get:
            body = self._clock_get[management_id]()
            self._reply(port, port, msg, source, unicast, reply_action, management_id, body, now_ns)
        elif management_id in self._port_get:
            answered = 0
            for target_port in clock.ports.values():
                if target.port_number in (PORT_NUMBER_ALL, target_port.number):
                    body = self._port_get[management_id](target_port)
                    self._reply(port, target_port, msg, source, unicast, reply_action, management_id, body, now_ns)
                    answered += 1
            if not answered:
                self._reply(port, port, msg, source, unicast, reply_action, management_id,
                            _Refused(ManagementErrorId.WRONG_VALUE), now_ns)  # fmt: skip
        else:
            self._reply(port, port, msg, source, unicast, reply_action, management_id,
                        _Refused(ManagementErrorId.NOT_SUPPORTED), now_ns)  # fmt: skip

    def _set(self, management_id: int, data: bytes, source: A, now_ns: int) -> Any:
        clock = self.clock
        if management_id not in (ManagementId.PRIORITY1, ManagementId.PRIORITY2):
            known = management_id in self._clock_get or management_id in self._port_get
            return _Refused(ManagementErrorId.NOT_SETABLE if known else ManagementErrorId.NOT_SUPPORTED)
        if not clock.allow_management_set(source):
            return _Refused(ManagementErrorId.NOT_SUPPORTED)
        if len(data) != 2:
            return _Refused(ManagementErrorId.WRONG_LENGTH)
        if management_id == ManagementId.PRIORITY1:
            clock.set_priorities(now_ns, priority1=MgmtPriority1(data).priority1)
        else:
            clock.set_priorities(now_ns, priority2=MgmtPriority2(data).priority2)
        return self._clock_get[management_id]()

    def _reply(
        self,
        ingress: Port[A],
        answering: Port[A],
        req: ManagementMsg,
        source: A,
        unicast: bool,
        action: ActionField,
        management_id: int,
        body: Any,
        now_ns: int,
    ) -> None:
        if isinstance(body, _Refused):
            tlv = bytes(TLVManagementErrorStatus(managementErrorId=body.error, managementId=management_id))
            ingress.counters.management_errors_sent += 1
        elif body is None:
            tlv = bytes(TLVManagement(managementId=management_id))
        else:
            tlv = bytes(TLVManagement(managementId=management_id) / body)
        dds = self.clock.default_ds
        hops = max(0, req.starting_boundary_hops - req.boundary_hops)
        header = header_for(
            MessageType.MANAGEMENT,
            domain=dds.domain_number,
            major_sdo_id=dds.major_sdo_id,
            minor_sdo_id=dds.minor_sdo_id,
            source_port_identity=answering.identity,
            sequence_id=req.sequence_id,
            flags=int(Flag.UNICAST) if unicast else 0,
        )
        data = encode(ManagementMsg.make(header, req.source_port_identity, hops, hops, int(action), tlv))
        destination: Multicast | A = source if unicast else MULTICAST
        ingress.send(Channel.GENERAL, destination, data, MessageType.MANAGEMENT, now_ns)

    # -- data sets -----------------------------------------------------------------

    def _default_ds(self) -> Any:
        dds = self.clock.default_ds
        return MgmtDefaultDataSet(
            flags=(DDS_FLAG_TWO_STEP if dds.two_step_flag else 0) | (DDS_FLAG_SLAVE_ONLY if dds.slave_only else 0),
            numberPorts=dds.number_ports,
            priority1=dds.priority1,
            clockQuality=dds.clock_quality,
            priority2=dds.priority2,
            clockIdentity=dds.clock_identity,
            domainNumber=dds.domain_number,
        )

    def _current_ds(self) -> Any:
        cds = self.clock.current_ds
        return MgmtCurrentDataSet(
            stepsRemoved=cds.steps_removed,
            offsetFromMaster=_interval(cds.offset_from_master_ns),
            meanPathDelay=_interval(cds.mean_delay_ns),
        )

    def _parent_ds(self) -> Any:
        pds = self.clock.parent_ds
        return MgmtParentDataSet(
            parentPortIdentity=pds.parent_port_identity,
            flags=1 if pds.parent_stats else 0,
            observedParentOffsetScaledLogVariance=pds.observed_parent_offset_scaled_log_variance,
            observedParentClockPhaseChangeRate=pds.observed_parent_clock_phase_change_rate,
            grandmasterPriority1=pds.grandmaster_priority1,
            grandmasterClockQuality=pds.grandmaster_clock_quality,
            grandmasterPriority2=pds.grandmaster_priority2,
            grandmasterIdentity=pds.grandmaster_identity,
        )

    def _time_properties_ds(self) -> Any:
        tp = self.clock.time_properties_ds
        return MgmtTimePropertiesDataSet(
            currentUtcOffset=tp.current_utc_offset, flags=tp.flag_bits(), timeSource=tp.time_source
        )

    def _utc_properties(self) -> Any:
        tp = self.clock.time_properties_ds
        flags = tp.flag_bits() & (TP_FLAG_LEAP61 | TP_FLAG_LEAP59 | TP_FLAG_UTC_OFFSET_VALID)
        return MgmtUtcProperties(currentUtcOffset=tp.current_utc_offset, flags=flags)

    def _traceability(self) -> Any:
        flags = self.clock.time_properties_ds.flag_bits() & (TP_FLAG_TIME_TRACEABLE | TP_FLAG_FREQUENCY_TRACEABLE)
        return MgmtTraceabilityProperties(flags=flags)

    def _timescale(self) -> Any:
        tp = self.clock.time_properties_ds
        return MgmtTimescaleProperties(flags=tp.flag_bits() & TP_FLAG_PTP_TIMESCALE, timeSource=tp.time_source)

    def _time_status_np(self) -> Any:
        clock = self.clock
        ingress = 0
        for port in clock.ports.values():
            if port.state in SLAVE_STATES and port.slave.last_ingress_ns is not None:
                ingress = port.slave.last_ingress_ns
        return MgmtTimeStatusNP(
            master_offset=clock.current_ds.offset_from_master_ns,
            ingress_time=ingress,
            gmPresent=0 if clock.is_grandmaster else 1,
            gmIdentity=clock.parent_ds.grandmaster_identity,
        )

    def _port_ds(self, port: Port[A]) -> Any:
        ds = port.ds
        return MgmtPortDataSet(
            portIdentity=ds.port_identity,
            portState=ds.port_state,
            logMinDelayReqInterval=ds.log_min_delay_req_interval,
            peerMeanPathDelay=_interval(ds.peer_mean_path_delay_ns),
            logAnnounceInterval=ds.log_announce_interval,
            announceReceiptTimeout=ds.announce_receipt_timeout,
            logSyncInterval=ds.log_sync_interval,
            delayMechanism=ds.delay_mechanism,
            logMinPdelayReqInterval=ds.log_min_pdelay_req_interval,
            versionNumber=ds.version_number,
            minorVersionNumber=ds.minor_version_number,
        )

    def _clock_description(self, port: Port[A]) -> Any:
        clock = self.clock
        cfg = clock.config
        pc = port.config
        clock_type = ClockType.ORDINARY if len(clock.ports) == 1 else ClockType.BOUNDARY
        profile = PROFILE_P2P if pc.delay_mechanism is DelayMechanism.P2P else PROFILE_E2E
        return MgmtClockDescription(
            clockType=int(clock_type),
            physicalLayerProtocol=b"IEEE 802.3",
            physicalAddress=pc.physical_address,
            networkProtocol=pc.network_protocol,
            addressField=pc.protocol_address,
            productDescription=cfg.product_description.encode(),
            revisionData=cfg.revision_data.encode(),
            userDescription=cfg.user_description.encode(),
            profileIdentity=profile,
        )
