"""Which interactions and activities each event stands for (model v1). Pure Python.

Co-attendance is not here: it depends on who else attended and who is connected, which the
projection knows (see projector.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.contracts.envelope import Event
from shared.contracts.events import (
    AttendeeCheckedIn,
    CommentCreated,
    ConnectionAccepted,
    ConnectionRequested,
    DirectMessageSent,
    GroupMessagePosted,
    MeetingLogged,
    PostCreated,
    PostEdited,
    PostShared,
    ReactionSet,
)

from .model import OFFLINE, ONLINE, Activity, HealthModel, Interaction


def interactions_of(event: Event, time: datetime, model: HealthModel) -> list[Interaction]:
    """The interactions an event stands for; `time` is when it happened (envelope time)."""
    w = model.weights

    def one(actor: str, target: str | None, kind: str, at: datetime = time) -> list[Interaction]:
        if target is None or actor == target:
            return []
        return [Interaction(actor, target, kind, at, w[kind])]

    def mentions(actor: str, mentioned: list[str]) -> list[Interaction]:
        return [i for m in sorted(set(mentioned)) for i in one(actor, m, "mention")]

    match event:
        case ConnectionRequested(requester_id=a, addressee_id=b):
            return one(a, b, "connection_request")
        case ConnectionAccepted(requester_id=a, addressee_id=b):
            return one(b, a, "connection_acceptance")
        case ReactionSet(actor_id=a, target_author_id=b, previous_kind=None):
            return one(a, b, "reaction")  # changing a reaction's kind is not a new interaction
        case CommentCreated() as c:
            return [
                *one(c.author_id, c.post_author_id, "comment"),
                *one(c.author_id, c.reply_to_author_id, "reply"),
                *mentions(c.author_id, c.mentioned_ids),
            ]
        case PostCreated(author_id=a, mentioned_ids=mentioned):
            return mentions(a, mentioned)
        case PostEdited(author_id=a, added_mention_ids=mentioned):
            return mentions(a, mentioned)
        case PostShared(actor_id=a, post_author_id=b):
            return one(a, b, "share")
        case GroupMessagePosted() as m:
            return [
                *one(m.author_id, m.reply_to_author_id, "reply"),
                *mentions(m.author_id, m.mentioned_ids),
            ]
        case DirectMessageSent(sender_id=a, recipient_id=b):
            return one(a, b, "direct_message")
        case MeetingLogged() as meeting:
            return meeting_interactions(meeting, model)
    return []


def meeting_end(meeting: MeetingLogged, model: HealthModel) -> datetime:
    if meeting.ended_at is not None:
        return meeting.ended_at
    minutes = meeting.duration_minutes
    minutes = model.meeting_default_minutes if minutes is None else minutes
    return meeting.started_at + timedelta(minutes=minutes)


def meeting_interactions(meeting: MeetingLogged, model: HealthModel) -> list[Interaction]:
    """Every pair of participants, once in each direction, at the meeting's end."""
    minutes = meeting.duration_minutes
    if minutes is None and meeting.ended_at is not None:
        minutes = (meeting.ended_at - meeting.started_at).total_seconds() / 60.0
    weight = model.meeting_weight(minutes)
    end = meeting_end(meeting, model)
    people = sorted(set(meeting.participant_ids))
    return [Interaction(a, b, "meeting", end, weight) for a in people for b in people if a != b]


def activities_of(event: Event, time: datetime, model: HealthModel) -> list[Activity]:
    """A member's own activity: a post or a group message online, a check-in by attendance."""
    w = model.activity_weights
    match event:
        case PostCreated(author_id=a):
            return [Activity(a, "post", ONLINE, time, w["post"])]
        case GroupMessagePosted(author_id=a):
            return [Activity(a, "group_message", ONLINE, time, w["group_message"])]
        case AttendeeCheckedIn(member_id=m, attendance=attendance, checked_in_at=at):
            channel = OFFLINE if attendance == "in_person" else ONLINE
            return [Activity(m, "check_in", channel, at, w["check_in"])]
    return []
