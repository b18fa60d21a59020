"""Keep the copies up to date from profiles' and connections' facts, with the names profiles
gives (shared/messaging/personal_data.py; erasure: see services/content/erasure.py)."""

from __future__ import annotations

from shared.contracts.api.profiles import PersonalFields
from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import MemberProfile
from shared.copies import Version
from shared.db import UnitOfWork

from .domain import relation_changes
from .store import Members, Relations

# what content asks profiles for (member facts carry the handle, not the name)
PERSONAL_FIELDS = ("name",)


async def on_member_profile(
    event: MemberProfile, envelope: Envelope, personal: PersonalFields, uow: UnitOfWork
) -> None:
    """member.registered, member.updated: the handle (from the fact) and the name (from
    profiles) that views and mentions use."""
    await Members(uow.session).copy(
        event.member_id, handle=event.handle, name=personal.name or "", version=Version.of(envelope)
    )


async def on_connection_event(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    """Connections, follows and blocks, and the audiences they make."""
    members, relations = Members(uow.session), Relations(uow.session)
    changes = relation_changes(event)
    involved = {m for change in changes for m in change[:2]}
    for member_id in involved:
        if await members.status(member_id) == "deleted":
            return  # an erased member stays erased, whatever arrives late
    version = Version.of(envelope)
    for member_id, other_id, aspect, active in changes:
        await relations.apply(member_id, other_id, aspect, active, version)
    for member_id in involved:
        await relations.refresh_audience(member_id)
