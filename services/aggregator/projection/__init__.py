"""The aggregator's projection, one module per thing it projects:

- members.py     the copy of the members (handle, team, tombstones)
- facts.py       the copy of the relation facts (connected, follows, blocks)
- pairs.py       each pair's interaction sums
- balances.py    each member's online and offline sums
- attention.py   each member's interactions over their visible pairs (model v2's A_x)
- weeks.py       the weekly trend
- attendance.py  in-person attendance and co-attendance
- gatherings.py  upcoming events and RSVPs
- watermark.py   each member's latest interaction or activity applied
- tables.py      the tables, one set per generation

- upserts.py     the additive bulk upserts the sums are written with

`Projection` is one generation of it in one transaction: the parts, and the writes that span
several of them (an interaction, an activity, an erasure). Interactions and activities are
folded in memory into deltas (per pair, member, week) and added to the stored sums by
`flush()`, once per batch, without reading them first; the writes that read what was applied
(a block, an erasure, co-attendance) flush first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.copies import Version

from ..domain import BLOCKS
from ..model import Activity, HealthModel, Interaction, pair_key
from ..sums import PairSums
from .attendance import Attendance
from .attention import AttentionTotals
from .balances import Balances
from .facts import RelationFacts
from .gatherings import Gatherings
from .members import Members
from .pairs import Pairs
from .tables import ProjectionTables, generations, metadata, service_state
from .watermark import Watermarks
from .weeks import WeeklyTrend, week_of

__all__ = [
    "Projection",
    "ProjectionTables",
    "generations",
    "metadata",
    "service_state",
    "week_of",
]


class Projection:
    """Reads and writes one generation of the projection."""

    def __init__(self, session: AsyncSession, tables: ProjectionTables, model: HealthModel):
        self.session = session
        self.tables = tables
        self.model = model
        self.members = Members(session, tables)
        self.facts = RelationFacts(session, tables)
        self.pairs = Pairs(session, tables, model)
        self.balances = Balances(session, tables, model)
        self.attention = AttentionTotals(session, tables, model)
        # whether a block hides each pair the batch touches (attention counts visible pairs)
        self._hidden: dict[tuple[str, str], bool] = {}
        self.weeks = WeeklyTrend(session, tables)
        self.attendance = Attendance(session, tables)
        self.gatherings = Gatherings(session, tables)
        self.watermarks = Watermarks(session, tables)

    async def prefetch(self, members: set[str], pairs: set[tuple[str, str]]) -> None:
        """Learn, a query per few hundred, which of a batch's members are erased and which
        of its pairs a block hides (the only reads an interaction needs)."""
        await self.members.load_erased(members)
        await self._load_hidden(pairs)

    async def _load_hidden(self, pairs: set[tuple[str, str]]) -> None:
        wanted = {p for p in pairs if p not in self._hidden}
        if wanted:
            blocked = await self.facts.blocked(wanted)
            self._hidden.update((p, p in blocked) for p in wanted)

    async def apply(self, interaction: Interaction) -> None:
        """Add one interaction to its pair, both members' balances (and so watermarks),
        attention and trends."""
        a, b, t = interaction.actor, interaction.target, interaction.time
        await self._load_hidden({pair_key(a, b)})
        await self.pairs.add(interaction)
        visible = not self._hidden[pair_key(a, b)]
        for member in (a, b):
            await self.balances.add(member, interaction.channel, interaction.weight, t)
            await self.weeks.add(member, interaction.channel, interaction.weight, t)
            if visible:
                await self.attention.add(member, interaction.weight, t)

    async def apply_fact(
        self, member_id: str, other_id: str, aspect: str, active: bool, version: Version
    ) -> None:
        """A relation fact. A block or unblock that changes whether the pair is visible takes
        its whole sum away from both members' attention, or gives it back."""
        if aspect != BLOCKS:
            await self.facts.apply(member_id, other_id, aspect, active, version)
            return
        key = pair_key(member_id, other_id)
        await self._load_hidden({key})
        was_hidden = self._hidden[key]
        await self.facts.apply(member_id, other_id, aspect, active, version)
        hidden = key in await self.facts.blocked({key})
        self._hidden[key] = hidden
        if hidden == was_hidden:
            return
        sums = await self.pair(*key)
        if sums is None or sums.last is None:
            return
        for member in key:
            if hidden:
                await self.attention.remove(member, sums.ab + sums.ba, sums.last)
            else:
                await self.attention.add(member, sums.ab + sums.ba, sums.last)

    async def apply_activity(self, activity: Activity) -> None:
        """A member's own activity: their balance (and watermark) and trend."""
        await self.balances.add(activity.member, activity.channel, activity.weight, activity.time)
        await self.weeks.add(activity.member, activity.channel, activity.weight, activity.time)

    async def flush(self) -> None:
        """Write what `apply` and `apply_activity` accumulated, in bulk."""
        await self.pairs.flush()
        await self.balances.flush()
        await self.attention.flush()
        await self.weeks.flush()

    async def erase(self, member_id: str, version: Version) -> None:
        """Remove every pair, balance and trace of the member; keep a tombstone."""
        await self.flush()
        self._hidden.clear()  # the member's pairs go
        await self.members.erase(member_id, version)
        pairs = await self.pairs.of_member(member_id)
        hidden = await self.facts.blocked({(p.a, p.b) for p in pairs})
        for pair in pairs:
            partner = pair.b if pair.a == member_id else pair.a
            await self.balances.remove_pair(partner, pair)
            if (pair.a, pair.b) not in hidden and pair.last is not None:
                await self.attention.remove(partner, pair.ab + pair.ba, pair.last)
        await self.flush()
        await self.pairs.erase_member(member_id)
        await self.facts.erase_member(member_id)
        await self.balances.erase_member(member_id)
        await self.attention.erase_member(member_id)
        await self.weeks.erase_member(member_id)
        await self.attendance.erase_member(member_id)
        await self.gatherings.erase_member(member_id)

    async def mark_connected(self, a: str, b: str) -> bool:
        """True the first time the pair is connected (written straight to the table)."""
        await self.flush()
        return await self.pairs.mark_connected(a, b)

    async def connected_co_attendees(
        self, event_id: str, member_id: str
    ) -> list[tuple[str, datetime]]:
        """In-person attendees of the event ever connected with the member, and when they
        checked in. Two indexed lookups: the event's attendees, then their pairs with the
        member (a join on either side of the pair would scan every pair)."""
        attendees = await self.attendance.others_at(event_id, member_id)
        connected = await self.pairs.ever_connected_with(member_id, list(attendees))
        return sorted((other, attendees[other]) for other in connected)

    async def pair(self, a: str, b: str) -> PairSums | None:
        await self.flush()
        return await self.pairs.get(a, b)
