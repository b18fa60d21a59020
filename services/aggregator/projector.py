"""Applies one event to one generation of the projection: the model's write side.

Used by the live consumers, by the rebuild's replay, and by the reference tests, so that
every path applies events the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.contracts.envelope import Envelope, Event
from shared.contracts.events import (
    AttendeeCheckedIn,
    CommentCreated,
    ConnectionAccepted,
    ConnectionRequested,
    DirectMessageSent,
    EventCancelled,
    EventCreated,
    EventUpdated,
    GroupMessagePosted,
    MeetingLogged,
    MemberDeleted,
    MemberRegistered,
    MemberUpdated,
    PostCreated,
    PostEdited,
    PostShared,
    ReactionSet,
    RsvpChanged,
)
from shared.copies import Version

from .domain import fact_changes
from .interactions import activities_of, interactions_of, meeting_end
from .model import HealthModel, Interaction, pair_key
from .projection import Projection


def ahead_of_arrival(
    event: Event, envelope: Envelope, model: HealthModel, tolerance: timedelta
) -> str | None:
    """Why the event is refused, when a time it carries lies more than `tolerance` after
    the event itself was recorded (the envelope's time: the same on a replay), else None.
    Such a fact would move its members' watermarks ahead and hold up their reads."""
    latest = envelope.time + tolerance
    times: list[tuple[str, datetime]] = []
    if isinstance(event, MeetingLogged):
        times += [("started_at", event.started_at), ("ended_at", meeting_end(event, model))]
    times += [("time", i.time) for i in interactions_of(event, envelope.time, model)]
    times += [("time", a.time) for a in activities_of(event, envelope.time, model)]
    for name, t in times:
        if t > latest:
            return (
                f"{envelope.type} {envelope.id}: {name} {t.isoformat()} lies more than "
                f"{tolerance.total_seconds():g}s after the event was recorded "
                f"({envelope.time.isoformat()})"
            )
    return None


# Events that only add interactions and activities (deltas to sums): batches of these
# commute with one another (state.lock_projection).
ADDITIVE = (
    CommentCreated,
    ConnectionRequested,
    DirectMessageSent,
    GroupMessagePosted,
    MeetingLogged,
    PostCreated,
    PostEdited,
    PostShared,
    ReactionSet,
)


def only_additive(items: list[tuple[Event, Envelope]]) -> bool:
    """Whether the batch only adds deltas (no fact, copy, check-in or erasure in it)."""
    return all(isinstance(event, ADDITIVE) and not fact_changes(event) for event, _ in items)


async def project_batch(
    projection: Projection, items: list[tuple[Event, Envelope]]
) -> list[Interaction]:
    """Apply a batch: what it needs to read is read at once, its deltas are added at once."""
    members: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for event, envelope in items:
        for i in interactions_of(event, envelope.time, projection.model):
            members.update((i.actor, i.target))
            pairs.add(pair_key(i.actor, i.target))
        for a in activities_of(event, envelope.time, projection.model):
            members.add(a.member)
    await projection.prefetch(members, pairs)
    applied: list[Interaction] = []
    for event, envelope in items:
        applied += await project(projection, event, envelope)
    await projection.flush()
    return applied


async def project(projection: Projection, event: Event, envelope: Envelope) -> list[Interaction]:
    """Apply `event` to `projection`; returns the interactions applied (for metrics)."""
    model: HealthModel = projection.model
    version = Version.of(envelope)
    match event:
        case MemberRegistered() | MemberUpdated():
            await projection.members.register(
                event.member_id, handle=event.handle, team=event.team, version=version
            )
            return []
        case MemberDeleted(member_id=member_id):
            await projection.erase(member_id, version)
            return []
        case EventCreated() | EventUpdated():
            await projection.gatherings.upsert(
                event.event_id,
                title=event.title,
                format=event.format,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                as_of=envelope.time,
            )
            return []
        case EventCancelled(event_id=event_id):
            await projection.gatherings.cancel(event_id, envelope.time)
            return []
        case RsvpChanged(event_id=event_id, member_id=member_id, status=status):
            if not await projection.members.any_erased(member_id):
                await projection.gatherings.set_rsvp(event_id, member_id, status, version)
            return []

    applied: list[Interaction] = []
    for change in fact_changes(event):
        if not await projection.members.any_erased(change.member_id, change.other_id):
            await projection.apply_fact(
                change.member_id, change.other_id, change.aspect, change.active, version
            )
    for interaction in interactions_of(event, envelope.time, model):
        if not await projection.members.any_erased(interaction.actor, interaction.target):
            await projection.apply(interaction)
            applied.append(interaction)
    for activity in activities_of(event, envelope.time, model):
        if not await projection.members.any_erased(activity.member):
            await projection.apply_activity(activity)

    if isinstance(event, ConnectionAccepted):
        applied += await _connected(projection, event.requester_id, event.addressee_id)
    if isinstance(event, AttendeeCheckedIn) and event.attendance == "in_person":
        applied += await _attended(projection, event)
    return applied


def _co_attendance(projection: Projection, a: str, b: str, at) -> list[Interaction]:
    weight = projection.model.weights["co_attendance"]
    return [
        Interaction(a, b, "co_attendance", at, weight),
        Interaction(b, a, "co_attendance", at, weight),
    ]


async def _connected(projection: Projection, a: str, b: str) -> list[Interaction]:
    """A pair connected for the first time: count the in-person events both attended."""
    if await projection.members.any_erased(a, b):
        return []
    if not await projection.mark_connected(a, b):
        return []
    applied = []
    for event_id, at in await projection.attendance.shared(a, b):
        if await projection.attendance.claim_co_attendance(event_id, a, b):
            for interaction in _co_attendance(projection, a, b, at):
                await projection.apply(interaction)
                applied.append(interaction)
    return applied


async def _attended(projection: Projection, event: AttendeeCheckedIn) -> list[Interaction]:
    """An in-person check-in: co-attendance with every connected member who attended."""
    member = event.member_id
    if await projection.members.any_erased(member):
        return []
    if not await projection.attendance.record(event.event_id, member, event.checked_in_at):
        return []
    applied = []
    for other, their_check_in in await projection.connected_co_attendees(event.event_id, member):
        if await projection.attendance.claim_co_attendance(event.event_id, member, other):
            at = max(event.checked_in_at, their_check_in)
            for interaction in _co_attendance(projection, member, other, at):
                await projection.apply(interaction)
                applied.append(interaction)
    return applied
