# SPDX-License-Identifier: GPL-2.0-or-later
"""Ending a component's background task, the one way every component does it.

A component's `stop` must not return while its task can still run a step
(it would touch sockets or clocks the component is about to close), so the
task is cancelled and then awaited; the CancelledError that ends it is the
expected outcome and is not passed on. Any other exception the task ended
with is raised to the caller, as before this helper existed.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (None: nothing to do) and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
