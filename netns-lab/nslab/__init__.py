# SPDX-License-Identifier: GPL-2.0-or-later
"""nslab: network-namespace labs for ptpbridge tests and benchmarks.

See API.md beside this file for the public API.
"""

from .host import Host
from .lab import Lab, attach, down, running, up
from .teardown import down_all, leftovers
from .topology import Topology

__all__ = ["Host", "Lab", "Topology", "attach", "down", "down_all", "leftovers", "running", "up"]
