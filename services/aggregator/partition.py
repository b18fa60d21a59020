"""Which pairs and members an aggregator instance owns, when N instances share the work.

Every instance reads every event (its own durables) and applies only the interactions of the
pairs it owns; members, attendance and events are replicated to all. Decayed sums are
additive, so a member's figures are the sums of the instances' partial figures.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .model import pair_key


def _bucket(key: str, count: int) -> int:
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


@dataclass(frozen=True)
class Partition:
    index: int = 0
    count: int = 1

    def owns_pair(self, one: str, other: str) -> bool:
        return self.count == 1 or _bucket("|".join(pair_key(one, other)), self.count) == self.index

    def owns_member(self, member_id: str) -> bool:
        return self.count == 1 or _bucket(member_id, self.count) == self.index

    @property
    def name(self) -> str:
        return f"p{self.index}of{self.count}"
