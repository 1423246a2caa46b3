# SPDX-License-Identifier: GPL-2.0-or-later
"""A bounded least-recently-used map: per-client state must never grow without limit.

Spoofed source addresses are free for an attacker, so every per-client
table evicts its least recently used entry when full.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def capacity_for(max_entries: int, max_bytes: int | None, entry_bytes: int) -> int:
    """Entries allowed by both a count and an (estimated) memory cap; at least 1."""
    if max_entries < 1:
        raise ValueError("a table needs room for at least one entry")
    if max_bytes is None:
        return max_entries
    return max(1, min(max_entries, max_bytes // entry_bytes))


class LruTable(Generic[K, V]):
    """OrderedDict with a capacity; `get_or_create` refreshes recency and evicts."""

    __slots__ = ("capacity", "evictions", "_data")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a table needs room for at least one entry")
        self.capacity = capacity
        self.evictions = 0
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The entry for `key` (marked most recently used), or None."""
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def get_or_create(self, key: K, factory: Callable[[], V]) -> V:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
            return value
        value = factory()
        self._data[key] = value
        if len(self._data) > self.capacity:
            self._data.popitem(last=False)
            self.evictions += 1
        return value

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def items(self) -> Iterator[tuple[K, V]]:
        """Entries from least to most recently used."""
        return iter(list(self._data.items()))
