"""Profiles' command and query handlers: decode, apply the domain in a unit of work, reply."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from shared.contracts.api.profiles import (
    MemberOfSubject,
    MemberPage,
    MemberRef,
    Members,
    PersonalData,
    PersonalDataQuery,
    PersonalFields,
    Profile,
    ProfileStrength,
    RegisterMember,
    SubjectRef,
    UpdateMember,
)
from shared.contracts.events import (
    MemberDeleted,
    MemberRegistered,
    MemberUpdated,
    ProfileStrengthChanged,
)
from shared.contracts.operations import Done
from shared.db import UnitOfWork
from shared.errors import Conflict, NotFound

from .domain import Member, ensure_unique, new_member
from .industry_keywords import (
    IndustryKeywords,
    ProfileChange,
    Standing,
    industry_item_moves,
    normalise_industry,
)
from .store import Members as MemberStore
from .strength import StrengthRules, assess, strength_changes


class ProfileHandlers:
    """Members' commands and queries, and the profile strength rules they apply."""

    def __init__(self, rules: StrengthRules) -> None:
        self.rules = rules

    async def register_member(self, command: RegisterMember, uow: UnitOfWork) -> Profile:
        """Register a member; publishes member.registered and profile_strength.changed."""
        member = new_member(command)
        members = MemberStore(uow.session)
        ensure_unique(
            handle_owner=await members.owner_of_handle(member.handle),
            email_owner=await members.owner_of_email(member.email),
            member_id=member.id,
            subject_owner=await members.owner_of_subject(command.subject),
        )
        try:
            await members.add(member, registered_at=datetime.now(UTC))
        except IntegrityError:  # a concurrent registration won the race
            raise Conflict("this handle or email was just taken", field="handle") from None
        await uow.publish(MemberRegistered(**_on_the_bus(member)))
        await self._rescore(uow, ProfileChange(member.id, None, _standing(member)), member)
        await uow.commit()
        return Profile(**member.profile())

    async def member_of_subject(self, query: SubjectRef, uow: UnitOfWork) -> MemberOfSubject:
        """The member a token's subject is bound to (the gateway's caller lookup)."""
        member_id = await MemberStore(uow.session).owner_of_subject(query.subject)
        if member_id is None:
            raise NotFound("no member is registered with this subject", field="subject")
        return MemberOfSubject(member_id=member_id)

    async def get_member(self, query: MemberRef, uow: UnitOfWork) -> Profile:
        """A member's profile."""
        return Profile(**(await _existing(MemberStore(uow.session), query.member_id)).profile())

    async def update_member(self, command: UpdateMember, uow: UnitOfWork) -> Profile:
        """Change some profile fields; publishes member.updated when something changed, and
        profile_strength.changed for every member whose score it changes."""
        members = MemberStore(uow.session)
        member = await _existing(members, command.member_id)
        before = _standing(member)
        changed = member.apply(command.changes)
        if not changed:
            return Profile(**member.profile())
        ensure_unique(
            handle_owner=(
                await members.owner_of_handle(member.handle) if "handle" in changed else None
            ),
            email_owner=await members.owner_of_email(member.email) if "email" in changed else None,
            member_id=member.id,
        )
        try:
            await members.save(member)
        except IntegrityError:
            raise Conflict("this handle or email was just taken", field="handle") from None
        await uow.publish(MemberUpdated(**_on_the_bus(member), changed=changed))
        await self._rescore(uow, ProfileChange(member.id, before, _standing(member)), member)
        await uow.commit()
        return Profile(**member.profile())

    async def delete_member(self, command: MemberRef, uow: UnitOfWork) -> Done:
        """Erase a member and their personal data; publishes member.deleted (and
        profile_strength.changed for the members of their industry whose score it changes)."""
        uow.after_erasure(command.member_id)
        members = MemberStore(uow.session)
        member = await _existing(members, command.member_id)
        await members.erase(command.member_id)
        await uow.publish(MemberDeleted(member_id=command.member_id))
        await self._rescore(uow, ProfileChange(member.id, _standing(member), None), None)
        await uow.commit()
        return Done()

    async def list_members(self, query: MemberPage, uow: UnitOfWork) -> Members:
        """Members in id order, a page at a time."""
        page = await MemberStore(uow.session).page(after=query.after, limit=query.limit + 1)
        more = len(page) > query.limit
        page = page[: query.limit]
        return Members(
            items=[Profile(**m.profile()) for m in page],
            next_cursor=page[-1].id if more else None,
        )

    async def personal_data(self, query: PersonalDataQuery, uow: UnitOfWork) -> PersonalData:
        """The fields a service keeps a copy of, for the members a batch of its facts names;
        those no longer members are `erased` (profiles keeps nothing of them)."""
        asked = list(dict.fromkeys(query.member_ids))
        found = {m.id: m for m in await MemberStore(uow.session).get_many(asked)}
        return PersonalData(
            members=[_personal(found[i], query.fields) for i in asked if i in found],
            erased=[i for i in asked if i not in found],
        )

    async def profile_strength(self, query: MemberRef, uow: UnitOfWork) -> ProfileStrength:
        """A member's profile strength: score, level, and what is missing with its points."""
        members = MemberStore(uow.session)
        member = await _existing(members, query.member_id)
        industry = await _industry(members, member.industry)
        return ProfileStrength.model_validate(assess(member, industry, self.rules).view(member.id))

    async def _rescore(self, uow: UnitOfWork, change: ProfileChange, member: Member | None) -> None:
        """Publish profile_strength.changed for the member (as they are now, unless erased)
        and for every other member of the industries concerned whose score the change moves:
        those whose industry keyword item it changes."""
        members = MemberStore(uow.session)
        own_industry = None
        for industry in change.industries():
            rows = await members.keywords_in_industry(industry)
            now = IndustryKeywords.of(industry, [keywords for _, keywords, _ in rows])
            others = [(i, keywords) for i, keywords, _ in rows if i != change.member_id]
            moved = industry_item_moves(others, change.before_in(now), now, self.rules)
            recorded = {i: score for i, _, score in rows}
            peers = [(peer, recorded[peer.id]) for peer in await members.get_many(moved)]
            await _publish(uow, members, strength_changes(peers, now, self.rules))
            if member is not None and _same_industry(member.industry, industry):
                own_industry = now
        if member is not None:
            if own_industry is None:
                own_industry = await _industry(members, member.industry)
            recorded_score = await members.strength_score(member.id)
            changes = strength_changes([(member, recorded_score)], own_industry, self.rules)
            await _publish(uow, members, changes)


def _on_the_bus(member: Member) -> dict:
    """What member facts say of a member: ids and organisation data, nothing personal (the
    streams keep facts forever; an erasure could not take a name back out of them)."""
    return {"member_id": member.id, "handle": member.handle, "team": member.team}


def _personal(member: Member, fields: list[str]) -> PersonalFields:
    profile = member.profile()
    return PersonalFields(member_id=member.id, **{name: profile[name] for name in fields})


def _standing(member: Member) -> Standing:
    return Standing(member.industry, list(member.keywords))


def _same_industry(one: str, other: str) -> bool:
    return normalise_industry(one) == normalise_industry(other)


async def _industry(members: MemberStore, industry: str) -> IndustryKeywords | None:
    if not normalise_industry(industry):
        return None
    rows = await members.keywords_in_industry(industry)
    return IndustryKeywords.of(industry, [keywords for _, keywords, _ in rows])


async def _publish(uow: UnitOfWork, members: MemberStore, changes) -> None:
    for change in changes:
        await members.record_strength(change.member.id, change.strength.score)
        await uow.publish(
            ProfileStrengthChanged(
                member_id=change.member.id,
                score=change.strength.score,
                level=change.strength.level,
                previous_score=change.previous_score,
            )
        )


async def _existing(members: MemberStore, member_id: str) -> Member:
    member = await members.get(member_id)
    if member is None:
        raise NotFound(f"no member with id {member_id}", field="member_id")
    return member
