# SPDX-License-Identifier: GPL-2.0-or-later
"""The `ptp` section of `ptpbridge status`: the core's snapshot plus what only the service knows.

The core reports data sets, states and per-port message counters; the
service adds each port's interface, transport, timestamping source and the
I/O layer's counters (TX timestamp timeouts, send errors), so one JSON
object answers "is this port serving, and what went wrong".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ptpbridge.daemon.ptp_slave import slave_rows

if TYPE_CHECKING:
    from ptpbridge.daemon.ptp_service import PtpService

_GM_KEYS = ("grandmaster_identity", "grandmaster_clock_class", "grandmaster_clock_accuracy",
            "grandmaster_offset_scaled_log_variance", "grandmaster_priority1", "grandmaster_priority2")
_TP_KEYS = ("current_utc_offset", "current_utc_offset_valid", "leap59", "leap61", "ptp_timescale",
            "time_traceable", "frequency_traceable", "time_source")


def service_status(service: PtpService) -> dict[str, Any]:
    cfg = service.config
    clock = service.clock
    if clock is None:
        return {"running": False}
    core = clock.status().as_dict()
    dds = clock.default_ds
    ports = []
    for port in core["ports"]:
        number = port["number"]
        transport = service.transports.get(number)
        io = transport.io_counters() if transport is not None else {}
        counters = port["counters"]
        responder = service.responders.get(number)
        fast = responder.status() if responder is not None else None
        sent, received = dict(counters["sent"]), dict(counters["received"])
        if fast is not None and fast["answered"]:
            # The fast path answers on the core's behalf: count those as the core would.
            received["DELAY_REQ"] = received.get("DELAY_REQ", 0) + fast["answered"]
            sent["DELAY_RESP"] = sent.get("DELAY_RESP", 0) + fast["answered"]
        ports.append({
            "number": number,
            "interface": service.interfaces.get(number, ""),
            "port_identity": port["port_identity"],
            "state": port["state"],
            "transport": cfg.transport,
            "delay_mechanism": port["delay_mechanism"],
            "timestamping": transport.source if transport is not None else None,
            "sent": sent,
            "received": received,
            "dropped": counters["dropped"],
            "ignored": counters["ignored"],
            # The core's count: every send whose timestamp never came (I/O timeout or failed send).
            "tx_timestamp_timeouts": counters["tx_timestamp_timeouts"],
            "tx_timestamp_unmatched": counters["tx_timestamp_unmatched"],
            "announce_receipt_timeouts": counters["announce_receipt_timeouts"],
            "management_errors_sent": counters["management_errors_sent"],
            "peer_mean_path_delay_ns": port["peer_mean_path_delay_ns"],
            # Measurements of a port that follows a better master (None while we are master).
            "last_offset_from_master_ns": service.last_sync_offset_ns.get(number),
            "last_mean_path_delay_ns": service.last_path_delay_ns.get(number),
            "foreign_masters": port["foreign_masters"],
            "io": io,
            "unicast_fast_path": fast,
        })
    return {
        "clock_identity": core["clock_identity"],
        "domain": dds.domain_number,
        "profile": cfg.profile,
        "hybrid": cfg.unicast_delay_resp,
        "priority1": dds.priority1,
        "priority2": dds.priority2,
        "clock_class": int(dds.clock_quality.clock_class),
        "clock_accuracy": int(dds.clock_quality.clock_accuracy),
        "offset_scaled_log_variance": int(dds.clock_quality.offset_scaled_log_variance),
        "is_grandmaster": core["is_grandmaster"],
        "grandmaster": {key.removeprefix("grandmaster_"): core[key] for key in _GM_KEYS},
        "parent_port_identity": core["parent_port_identity"],
        "steps_removed": core["steps_removed"],
        "offset_from_master_ns": core["offset_from_master_ns"],
        "mean_delay_ns": core["mean_delay_ns"],
        "time_properties": {key: core[key] for key in _TP_KEYS},
        "management_set_allow": service.allow.describe() if service.allow is not None else [],
        "timer_errors": service.timer_errors,
        "ports": ports,
    }


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "none"


def table_rows(ptp: dict[str, Any]) -> list[tuple[str, str]]:
    """The `ptp` section as rows of `ptpbridge status`'s human table."""
    if not ptp.get("ports"):
        return [("PTP", "not running")]
    gm = ptp["grandmaster"]
    rows = [
        ("PTP clock", f"{ptp['clock_identity']}, domain {ptp['domain']}, profile {ptp['profile']}"
                      f"{' (hybrid)' if ptp['hybrid'] else ''}, priority1 {ptp['priority1']}, "
                      f"priority2 {ptp['priority2']}, class {ptp['clock_class']}"),
        ("PTP grandmaster", "this clock" if ptp["is_grandmaster"] else
         f"{gm['identity']} (priority1 {gm['priority1']}, class {gm['clock_class']}), "
         f"parent {ptp['parent_port_identity']}, steps removed {ptp['steps_removed']}"),
    ]
    for port in ptp["ports"]:
        n = port["number"]
        io = port["io"]
        problems = dict(port["dropped"])
        problems["TX timestamp timeouts"] = port["tx_timestamp_timeouts"]
        problems["send errors"] = io.get("tx_errors", 0)
        rows += [
            (f"PTP port {n}", f"{port['interface']} {port['state']}, {port['transport']} "
                              f"{port['delay_mechanism']}, {port['timestamping']} timestamps"),
            (f"PTP port {n} sent", _counts(port["sent"])),
            (f"PTP port {n} received", _counts(port["received"])),
            (f"PTP port {n} problems", _counts(problems)),
        ]
    if ptp.get("slave"):
        rows += slave_rows(ptp["slave"])
    return rows
