# SPDX-License-Identifier: GPL-2.0-or-later
"""One simulation: a scheduler, a network and the nodes on it, all from one seed."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

from phc.sim_clock import SimulatedClock
from ptpbridge.core.ptp.config import ClockConfig, PortConfig
from ptpbridge.sim.network import LinkModel, Network, Segment, SimAddress
from ptpbridge.sim.node import SimNode
from ptpbridge.sim.scheduler import Scheduler
from ptpbridge.timebase import NS_PER_S
# Simulated true time starts at a plausible TAI instant (2024), not at 0.
DEFAULT_EPOCH_NS = 1_704_067_237 * NS_PER_S


class Simulation:
    def __init__(self, seed: int = 0, start_ns: int = DEFAULT_EPOCH_NS) -> None:
        self.seed = seed
        self.scheduler = Scheduler(start_ns)
        self.network = Network(self.scheduler, seed)
        self.nodes: dict[str, SimNode] = {}

    @property
    def now(self) -> int:
        return self.scheduler.now

    def segment(self, name: str, default: LinkModel | None = None) -> Segment:
        return self.network.segment(name, default)

    def simulated_clock(
        self, name: str, *, offset_ns: int = 0, frequency_error_ppb: float = 0.0, **kwargs: object
    ) -> SimulatedClock:
        """A SimulatedClock whose base time is this simulation's true time."""
        scheduler = self.scheduler
        return SimulatedClock(
            offset_ns=offset_ns,
            frequency_error_ppb=frequency_error_ppb,
            seed=zlib.crc32(f"{self.seed}:{name}".encode()),
            time_source=lambda: scheduler.now,
            name=name,
            **kwargs,  # type: ignore[arg-type]
        )

    def add_node(
        self,
        name: str,
        config: ClockConfig,
        ports: Sequence[tuple[PortConfig, Segment]],
        *,
        clock: SimulatedClock | None = None,
        tx_timestamp_loss: float = 0.0,
        allow_management_set: Callable[[SimAddress], bool] | None = None,
    ) -> SimNode:
        if name in self.nodes:
            raise ValueError(f"node {name} exists")
        node = SimNode(
            self,
            name,
            config,
            ports,
            clock=clock or self.simulated_clock(name),
            tx_timestamp_loss=tx_timestamp_loss,
            allow_management_set=allow_management_set,
        )
        self.nodes[name] = node
        return node

    def start(self) -> None:
        for node in self.nodes.values():
            if not node.up:
                node.start()

    def run_for(self, duration_ns: int) -> None:
        self.scheduler.run_for(duration_ns)

    def run_until(self, predicate: Callable[[], bool], limit_ns: int, step_ns: int = 10_000_000) -> bool:
        """Advance in steps until ``predicate()`` holds (True) or ``limit_ns`` passes (False)."""
        end = self.scheduler.now + limit_ns
        while self.scheduler.now < end:
            if predicate():
                return True
            self.scheduler.run_until(min(end, self.scheduler.now + step_ns))
        return predicate()
