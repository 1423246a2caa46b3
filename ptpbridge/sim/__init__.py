# SPDX-License-Identifier: GPL-2.0-or-later
"""A deterministic network simulator for the sans-IO protocol cores.

Integer-ns simulated time, seeded randomness, no threads and no sleeping:
equal seeds give equal runs. Nodes run a ``PtpClock`` against a
``SimulatedClock`` (phc) whose base time is the simulation's true time, so
every packet timestamp is what that node's "NIC" would have read, and the
true time error of every clock is known exactly.
"""

from ptpbridge.sim.network import LinkModel, Network, Segment, SimAddress
from ptpbridge.sim.node import SimNode
from ptpbridge.sim.scheduler import Scheduler
from ptpbridge.sim.simulation import Simulation

__all__ = ["LinkModel", "Network", "Scheduler", "Segment", "SimAddress", "SimNode", "Simulation"]
