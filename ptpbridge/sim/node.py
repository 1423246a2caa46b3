# SPDX-License-Identifier: GPL-2.0-or-later
"""A simulated PTP node: one ``PtpClock`` core, one ``SimulatedClock``, ports on segments.

The node plays the daemon's I/O layer: it feeds received packets with RX
timestamps read from its clock at the true arrival time, executes
``SendMessage`` actions on the segments, reports TX timestamps (the clock
read at the true send time) after ``tx_timestamp_delay_ns``, and wakes
the core at ``next_deadline()``. Other actions are kept in ``events`` and
passed to ``on_action`` hooks (a servo under test attaches there).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from phc.sim_clock import SimulatedClock
from ptpbridge.core.ptp.actions import Action, SendMessage
from ptpbridge.core.ptp.clock import PtpClock
from ptpbridge.core.ptp.config import ClockConfig, PortConfig
from ptpbridge.sim.network import SimAddress

if TYPE_CHECKING:
    from ptpbridge.sim.network import Segment
    from ptpbridge.sim.simulation import Simulation

SimAction = Action[SimAddress]


class SimNode:
    def __init__(
        self,
        sim: Simulation,
        name: str,
        config: ClockConfig,
        ports: Sequence[tuple[PortConfig, Segment]],
        *,
        clock: SimulatedClock | None = None,
        tx_timestamp_delay_ns: int = 5_000,
        tx_timestamp_loss: float = 0.0,
        allow_management_set: Callable[[SimAddress], bool] | None = None,
    ) -> None:
        self.sim = sim
        self.name = name
        scheduler = sim.scheduler
        self.clock = clock or SimulatedClock(time_source=lambda: scheduler.now, name=name)
        self.ptp: PtpClock[SimAddress] = PtpClock(
            config, [pc for pc, _ in ports], allow_management_set=allow_management_set
        )
        self.tx_timestamp_delay_ns = tx_timestamp_delay_ns
        self.tx_timestamp_loss = tx_timestamp_loss
        self._rng = random.Random(f"node:{name}:{sim.seed}")
        self.segments: dict[int, Segment] = {}
        self.addresses: dict[int, SimAddress] = {}
        for number, (_, segment) in enumerate(ports, start=1):
            address = SimAddress(name, number)
            segment.attach(address, self._receiver(number))
            self.segments[number] = segment
            self.addresses[number] = address
        self.events: list[tuple[int, SimAction]] = []
        self.on_action: list[Callable[[SimNode, SimAction], None]] = []
        self.up = False
        self._wake_generation = 0

    # -- life cycle ----------------------------------------------------------------

    def start(self) -> None:
        self.up = True
        for number, segment in self.segments.items():
            segment.set_up(self.addresses[number], True)
        self.ptp.start(self.sim.scheduler.now)
        self._after_input()

    def stop(self) -> None:
        """Power off: the node neither sends nor receives any more."""
        self.up = False
        self._wake_generation += 1
        for number, segment in self.segments.items():
            segment.set_up(self.addresses[number], False)

    # -- the I/O loop --------------------------------------------------------------

    def _receiver(self, port: int) -> Callable[[bytes, SimAddress, int], None]:
        def receive(data: bytes, source: SimAddress, arrival_ns: int) -> None:
            if not self.up:
                return
            rx = self.clock.from_system_ns(arrival_ns)
            self.ptp.receive(port, data, source, rx, self.sim.scheduler.now)
            self._after_input()

        return receive

    def _after_input(self) -> None:
        now = self.sim.scheduler.now
        for action in self.ptp.poll_actions():
            if isinstance(action, SendMessage):
                self._send(action)
            else:
                self.events.append((now, action))
                for hook in self.on_action:
                    hook(self, action)
        self._schedule_wake()

    def _send(self, action: SendMessage[SimAddress]) -> None:
        scheduler = self.sim.scheduler
        segment = self.segments[action.port]
        segment.transmit(self.addresses[action.port], action.destination, action.data)
        handle = action.tx_timestamp_handle
        if handle is None:
            return
        if self.tx_timestamp_loss and self._rng.random() < self.tx_timestamp_loss:
            return  # the core's own timeout gives up on it
        tx = self.clock.from_system_ns(scheduler.now)
        port = action.port

        def report() -> None:
            if self.up:
                self.ptp.tx_timestamp(port, handle, tx, scheduler.now)
                self._after_input()

        scheduler.after(self.tx_timestamp_delay_ns, report)

    def _schedule_wake(self) -> None:
        if not self.up:
            return
        deadline = self.ptp.next_deadline()
        if deadline is None:
            return
        scheduler = self.sim.scheduler
        self._wake_generation += 1
        generation = self._wake_generation

        def wake() -> None:
            if self.up and generation == self._wake_generation:
                now = scheduler.now
                self.ptp.handle_timer(now, self.clock.from_system_ns(now))
                self._after_input()

        scheduler.at(max(deadline, scheduler.now), wake)

    # -- observations --------------------------------------------------------------

    def states(self) -> dict[int, str]:
        return {n: p.state.name for n, p in self.ptp.ports.items()}

    def true_offset_ns(self) -> int:
        """This node's clock minus true time, now."""
        return self.clock.true_offset_ns()
