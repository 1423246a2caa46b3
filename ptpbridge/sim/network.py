# SPDX-License-Identifier: GPL-2.0-or-later
"""Simulated Ethernet segments: multicast to every other attached port, unicast to one.

Each direction of each pair of ports has a ``LinkModel``: a mean one-way
delay, a fixed asymmetry (PTP's delayAsymmetry: the a->b direction takes
delay + asymmetry, b->a delay - asymmetry, so a slave sees exactly the
asymmetry as offset error), a uniform non-negative jitter (queueing only
ever adds delay) and a loss probability. All randomness comes from the
network's seeded generator.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from ptpbridge.core.ptp.actions import Multicast
from ptpbridge.sim.scheduler import Scheduler


class SimAddress(NamedTuple):
    """Where a simulated port sits: node name and port number."""

    node: str
    port: int

    def __str__(self) -> str:
        return f"{self.node}/{self.port}"


@dataclass(frozen=True, slots=True)
class LinkModel:
    delay_ns: int = 20_000
    jitter_ns: int = 0
    loss: float = 0.0
    asymmetry_ns: int = 0

    def __post_init__(self) -> None:
        if self.delay_ns < 0 or self.jitter_ns < 0:
            raise ValueError("delay and jitter must be >= 0")
        if abs(self.asymmetry_ns) > self.delay_ns:
            raise ValueError("|asymmetry| must not exceed the mean delay")
        if not 0.0 <= self.loss <= 1.0:
            raise ValueError("loss is a probability")


# (data, source address, true arrival time) -> None
Receiver = Callable[[bytes, SimAddress, int], None]


class Segment:
    """One broadcast domain (a switch or a cable) joining simulated ports."""

    def __init__(self, network: Network, name: str, default: LinkModel) -> None:
        self.network = network
        self.name = name
        self.default = default
        self._receivers: dict[SimAddress, Receiver] = {}
        self._up: dict[SimAddress, bool] = {}
        self._links: dict[tuple[SimAddress, SimAddress], LinkModel] = {}

    def attach(self, address: SimAddress, receiver: Receiver) -> None:
        if address in self._receivers:
            raise ValueError(f"{address} is already attached to {self.name}")
        self._receivers[address] = receiver
        self._up[address] = True

    def set_up(self, address: SimAddress, up: bool) -> None:
        """Cut (or restore) a port's cable: nothing in or out while down."""
        self._up[address] = up

    def set_link(self, a: SimAddress, b: SimAddress, model: LinkModel) -> None:
        """The path between a and b; asymmetry is positive in the a -> b direction."""
        self._links[(a, b)] = model
        self._links[(b, a)] = LinkModel(model.delay_ns, model.jitter_ns, model.loss, -model.asymmetry_ns)

    def _model(self, a: SimAddress, b: SimAddress) -> LinkModel:
        return self._links.get((a, b), self.default)

    def transmit(self, source: SimAddress, destination: Multicast | SimAddress, data: bytes) -> None:
        """Send at the current simulated time; each receiver gets its own delay and loss draw."""
        if not self._up.get(source, False):
            return
        if isinstance(destination, Multicast):
            targets = [a for a in self._receivers if a != source]
        else:
            targets = [destination] if destination in self._receivers else []
        network = self.network
        for target in targets:
            model = self._model(source, target)
            if model.loss and network.rng.random() < model.loss:
                network.lost += 1
                continue
            delay = model.delay_ns + model.asymmetry_ns
            if model.jitter_ns:
                delay += network.rng.randrange(model.jitter_ns + 1)
            arrival = network.scheduler.now + delay
            network.scheduler.at(arrival, self._arrival(target, data, source, arrival))

    def _arrival(self, target: SimAddress, data: bytes, source: SimAddress, arrival: int) -> Callable[[], None]:
        def deliver() -> None:
            if self._up.get(target, False):
                self._receivers[target](data, source, arrival)

        return deliver


class Network:
    def __init__(self, scheduler: Scheduler, seed: int = 0) -> None:
        self.scheduler = scheduler
        self.rng = random.Random(f"network:{seed}")
        self.segments: dict[str, Segment] = {}
        self.lost = 0

    def segment(self, name: str, default: LinkModel | None = None) -> Segment:
        """The named segment, created on first use."""
        seg = self.segments.get(name)
        if seg is None:
            seg = Segment(self, name, default or LinkModel())
            self.segments[name] = seg
        return seg
