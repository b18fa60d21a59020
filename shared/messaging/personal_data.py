"""Personal data for the services that keep a copy of members, fetched from profiles.

Member facts carry ids, the handle and the team only: the PROFILES stream keeps them forever
and an erasure cannot take a name out of it. A service that needs personal fields (content:
names; connections: names and profile text; events: emails) asks profiles for them over the
bus (`personal_data`, a services-only operation) and keeps its own copy, which its erasure
handler deletes. `member_facts` makes the batch handler of such a service's members durable:
one request for every member a batch of facts names, then each fact applied in order.

- A member profiles no longer has comes back `erased`: the fact is skipped and nothing of
  them is kept (their member.deleted, later in the stream, leaves the tombstone). So a replay
  of the stream after an erasure brings nothing personal back.
- If profiles does not answer, the batch fails like any other handler failure: rolled back,
  retried with backoff, then dead-lettered; a member is never kept without their data.
- The answer is the member's data *now*, not as of the fact: copies converge on the latest
  profile whatever order the facts arrive in (the last-writer-wins rule of shared/copies.py
  still orders the writes).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from faststream.nats import NatsBroker

from shared.contracts.api.profiles import (
    PERSONAL_DATA_MAX_MEMBERS,
    PersonalDataQuery,
    PersonalField,
    PersonalFields,
    personal_data,
)
from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import MemberDeleted, MemberProfile
from shared.db import UnitOfWork
from shared.messaging.consumer.events import BatchHandler
from shared.messaging.rpc import call

log = logging.getLogger(__name__)

# None: profiles has no such member (erased)
Found = dict[str, PersonalFields | None]
ProfileHandler = Callable[[MemberProfile, Envelope, PersonalFields, UnitOfWork], Awaitable[object]]
DeletedHandler = Callable[[MemberDeleted, Envelope, UnitOfWork], Awaitable[object]]


class IncompleteAnswer(Exception):
    """Profiles left members out of its answer (a bug): the batch is retried."""


class PersonalDataSource(Protocol):
    async def fetch(self, member_ids: list[str], fields: Sequence[PersonalField]) -> Found: ...


@dataclass(frozen=True)
class ProfilesOverBus:
    """Asks the profiles service (`rapport.rpc.profiles.personal_data`)."""

    broker: NatsBroker
    timeout: float

    async def fetch(self, member_ids: list[str], fields: Sequence[PersonalField]) -> Found:
        found: Found = {}
        for start in range(0, len(member_ids), PERSONAL_DATA_MAX_MEMBERS):
            query = PersonalDataQuery(
                member_ids=member_ids[start : start + PERSONAL_DATA_MAX_MEMBERS],
                fields=list(fields),
            )
            reply = await call(self.broker, personal_data, query, timeout=self.timeout)
            found |= {member.member_id: member for member in reply.members}
            found |= dict.fromkeys(reply.erased)
        missing = set(member_ids) - found.keys()
        if missing:
            raise IncompleteAnswer(f"profiles did not answer for {sorted(missing)}")
        return found


def member_facts(
    source: PersonalDataSource,
    fields: Sequence[PersonalField],
    *,
    on_profile: ProfileHandler,
    on_deleted: DeletedHandler,
) -> BatchHandler:
    """The batch handler of a members durable: member.registered and member.updated go to
    `on_profile` with the `fields` profiles gave (one request for the whole batch), unless
    the member was erased; member.deleted goes to `on_deleted`."""

    async def handle(items: list[tuple[Event, Envelope]], uow: UnitOfWork) -> None:
        named = [event.member_id for event, _ in items if isinstance(event, MemberProfile)]
        found = await source.fetch(list(dict.fromkeys(named)), fields) if named else {}
        for event, envelope in items:
            if isinstance(event, MemberDeleted):
                await on_deleted(event, envelope, uow)
            elif isinstance(event, MemberProfile):
                personal = found[event.member_id]
                if personal is None:
                    log.debug("%s %s: the member was erased; nothing kept", event.type, envelope.id)
                    continue
                await on_profile(event, envelope, personal, uow)

    return handle
