"""Profiles' command and query handlers: decode, apply the domain in a unit of work, reply."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from shared.contracts.commands import MemberRef, RegisterMember, UpdateMember
from shared.contracts.events import MemberDeleted, MemberRegistered, MemberUpdated
from shared.db import UnitOfWork
from shared.errors import Conflict, NotFound

from .domain import Member, ensure_unique, new_member
from .queries import MemberPage
from .store import Members


async def register_member(command: RegisterMember, uow: UnitOfWork) -> dict:
    """Register a member; publishes member.registered."""
    member = new_member(command)
    members = Members(uow.session)
    ensure_unique(
        handle_owner=await members.owner_of_handle(member.handle),
        email_owner=await members.owner_of_email(member.email),
        member_id=member.id,
    )
    try:
        await members.add(member, registered_at=datetime.now(UTC))
    except IntegrityError:  # a concurrent registration won the race
        raise Conflict("this handle or email was just taken", field="handle") from None
    await uow.publish(MemberRegistered(**member.profile()))
    await uow.commit()
    return member.profile()


async def get_member(query: MemberRef, uow: UnitOfWork) -> dict:
    """A member's profile."""
    return (await _existing(Members(uow.session), query.member_id)).profile()


async def update_member(command: UpdateMember, uow: UnitOfWork) -> dict:
    """Change some profile fields; publishes member.updated when something changed."""
    members = Members(uow.session)
    member = await _existing(members, command.member_id)
    changed = member.apply(command.changes)
    if not changed:
        return member.profile()
    ensure_unique(
        handle_owner=await members.owner_of_handle(member.handle) if "handle" in changed else None,
        email_owner=await members.owner_of_email(member.email) if "email" in changed else None,
        member_id=member.id,
    )
    try:
        await members.save(member)
    except IntegrityError:
        raise Conflict("this handle or email was just taken", field="handle") from None
    await uow.publish(MemberUpdated(**member.profile(), changed=changed))
    await uow.commit()
    return member.profile()


async def delete_member(command: MemberRef, uow: UnitOfWork) -> dict:
    """Erase a member and their personal data; publishes member.deleted."""
    members = Members(uow.session)
    await _existing(members, command.member_id)
    await members.erase(command.member_id)
    await uow.publish(MemberDeleted(member_id=command.member_id))
    await uow.commit()
    return {"member_id": command.member_id, "deleted": True}


async def list_members(query: MemberPage, uow: UnitOfWork) -> dict:
    """Members in id order, a page at a time."""
    page = await Members(uow.session).page(after=query.after, limit=query.limit + 1)
    more = len(page) > query.limit
    page = page[: query.limit]
    return {
        "items": [m.profile() for m in page],
        "next_cursor": page[-1].id if more else None,
    }


async def _existing(members: Members, member_id: str) -> Member:
    member = await members.get(member_id)
    if member is None:
        raise NotFound(f"no member with id {member_id}", field="member_id")
    return member
