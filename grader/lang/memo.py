"""A memo keyed by object identity, for values computed from objects that never change.

Trees are immutable and sample arrays read-only, but hashing a whole tree (or a
Fraction) per look-up cost as much as the work memoised. Entries are keyed by
``id(obj)`` plus an optional hashable extra key, and each entry holds its object,
so that the id cannot be reused by another object while the entry lives. When full,
the memo starts over: the recent entries are the useful ones.
"""

from __future__ import annotations


class IdentityMemo:
    __slots__ = ("_entries", "_size")

    def __init__(self, size: int):
        self._entries: dict = {}
        self._size = size

    def get(self, obj, extra=None):
        """The value stored for ``obj`` (and ``extra``), or None."""
        hit = self._entries.get(id(obj) if extra is None else (id(obj), extra))
        return hit[1] if hit is not None and hit[0] is obj else None

    def put(self, obj, value, extra=None):
        """Store and return ``value`` (never None) for ``obj`` (and ``extra``)."""
        if len(self._entries) >= self._size:
            self._entries.clear()
        self._entries[id(obj) if extra is None else (id(obj), extra)] = (obj, value)
        return value

    def clear(self) -> None:
        self._entries.clear()
