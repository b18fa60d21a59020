"""Webhook ingestion: a raw delivery the gateway stored in WEBHOOKS becomes events, RSVPs,
check-ins and meetings, exactly once.

A delivery is remembered by (source, webhook id) in the same transaction as its effect, so a
redelivery (by JetStream, or by the sender after the duplicate window) changes nothing. A
delivery that cannot be normalised (unsupported type, schema error, an unknown or cancelled
event...) has no effect and is kept, failed, with its reason and body, until a replay works.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from nats.aio.msg import Msg

from shared.contracts.api.events import Deliveries as DeliveryPage
from shared.contracts.api.events import DeliveryQuery, DeliveryRef, DeliveryView
from shared.contracts.envelope import Event
from shared.cursors import Cursors
from shared.db import UnitOfWork
from shared.errors import DomainError, NotFound
from shared.messaging.consumer.durable import Unreadable
from shared.messaging.consumer.messages import HandleAlone
from shared.metrics import WEBHOOK_DELIVERIES, WEBHOOK_INGESTION_LATENCY
from shared.webhooks.adapters import ADAPTERS, PayloadInvalid, UnsupportedType, normalise
from shared.webhooks.intents import AnswerRsvp, CheckIn, Intent, LogMeeting, UpsertEvent

from .deliveries import FAILED, Delivery, Named, email_digest, emails_named, new_delivery_id
from .domain import (
    ChangedMeanwhile,
    Gathering,
    Participant,
    check_not_ahead,
    new_meeting,
    normalise_email,
)
from .handlers import Policy, add_gathering, now, publish_all
from .listings import listing_scope, read_position
from .store import Attendances, Deliveries, Gatherings, Meetings, Members

log = logging.getLogger(__name__)

# Headers the gateway sets on a stored delivery (docs/webhooks.md)
SOURCE, WEBHOOK_ID, TIMESTAMP, RECEIVED_AT = (
    "Rapport-Webhook-Source",
    "Rapport-Webhook-Id",
    "Rapport-Webhook-Timestamp",
    "Rapport-Received-At",
)


class Unnormalisable(DomainError):
    """Wraps a payload problem so that it is recorded like a domain refusal."""


def delivery_of(message: Msg, received: datetime) -> Delivery:
    headers = message.headers or {}
    try:
        return Delivery(
            id=new_delivery_id(received),
            source=headers[SOURCE],
            webhook_id=headers[WEBHOOK_ID],
            adapter=message.subject.rsplit(".", 1)[-1],
            body=message.data,
            sent_at=datetime.fromtimestamp(int(headers[TIMESTAMP]), UTC),
            received_at=datetime.fromisoformat(headers[RECEIVED_AT]),
            sequence=message.metadata.sequence.stream,
        )
    except (KeyError, ValueError, OverflowError) as error:
        raise Unreadable(f"not a delivery stored by the gateway: {error!r}") from None


def delivery_handler(policy: Policy):
    async def on_delivery(message: Msg, uow: UnitOfWork) -> None:
        delivery = delivery_of(message, now())
        deliveries = Deliveries(uow.session)
        known = await deliveries.id_of(delivery.source, delivery.webhook_id)
        if known is not None:
            # a retry: no effect, but its raw message is one more for an erasure to delete
            await deliveries.add_message(known, delivery.sequence)
            await uow.commit()
            WEBHOOK_DELIVERIES.labels(delivery.source, "duplicate").inc()
            return
        await normalise_and_record(uow, delivery, policy, new=True)

    return on_delivery


async def normalise_and_record(
    uow: UnitOfWork, delivery: Delivery, policy: Policy, *, new: bool
) -> None:
    """Apply the delivery and remember it, in one transaction; or, when it cannot be
    normalised, undo everything and remember it as failed with the reason."""
    names = await names_in(uow, delivery) if new else []
    try:
        for intent in _intents(delivery):
            await publish_all(uow, await apply(intent, uow, delivery, policy))
        delivery.normalised(now())
        await Deliveries(uow.session).save(delivery, new=new, names=names)
        await uow.commit()
    except ChangedMeanwhile:
        raise  # a race, not a refusal: the message is redelivered and tried again
    except DomainError as error:
        if uow.holding:
            # the transaction holds other deliveries of a batch: roll back this one alone
            raise HandleAlone(str(error)) from error
        await uow.session.rollback()
        uow.published.clear()
        where = f"{error.field}: " if error.field else ""
        delivery.failed(f"{where}{error.detail}", now())
        await Deliveries(uow.session).save(delivery, new=new, names=names)
        await uow.commit()
        log.warning("webhook %s from %s failed: %s", delivery.webhook_id, delivery.source, error)
    WEBHOOK_DELIVERIES.labels(delivery.source, delivery.status).inc()
    if delivery.status != FAILED:
        WEBHOOK_INGESTION_LATENCY.labels(delivery.source).observe(
            max(0.0, (now() - delivery.received_at).total_seconds())
        )


async def names_in(uow: UnitOfWork, delivery: Delivery) -> list[Named]:
    """Whom the delivery names, as an erasure will look for them: each email (its digest) and
    the member it belongs to now."""
    members = Members(uow.session)
    return [
        Named(email_digest(email), await members.by_email(email))
        for email in sorted(emails_named(delivery.body))
    ]


def _intents(delivery: Delivery) -> list[Intent]:
    adapter = ADAPTERS.get(delivery.adapter)
    if adapter is None:
        raise Unnormalisable(f"no payload adapter named {delivery.adapter!r}")
    try:
        return normalise(adapter, delivery.body)
    except UnsupportedType as error:
        raise Unnormalisable(str(error)) from None
    except PayloadInvalid as error:
        raise Unnormalisable(f"schema: {error}") from None


async def apply(intent: Intent, uow: UnitOfWork, delivery: Delivery, policy: Policy) -> list[Event]:
    match intent:
        case UpsertEvent():
            return await _upsert_event(intent, uow, delivery.source)
        case AnswerRsvp():
            return await _answer_rsvp(intent, uow, delivery)
        case CheckIn():
            return await _check_in(intent, uow, delivery.source, policy)
        case LogMeeting():
            return await _log_meeting(intent, uow, delivery.source, policy)
    raise TypeError(f"unknown intent {intent!r}")


async def _upsert_event(intent: UpsertEvent, uow: UnitOfWork, source: str) -> list[Event]:
    gathering = await Gatherings(uow.session).by_external_ref(source, intent.external_id)
    details = {
        "title": intent.title,
        "format": intent.format,
        "starts_at": intent.starts_at,
        "ends_at": intent.ends_at,
        "timezone": intent.timezone,
        "venue": intent.venue,
    }
    if intent.kind is not None:
        details["kind"] = intent.kind
    if gathering is None:
        gathering = Gathering(
            id=str(uuid.uuid4()),
            kind=details.pop("kind", "meetup"),
            **details,
            external_refs=[(source, intent.external_id)],
        )
        events = await add_gathering(uow, gathering)
        if intent.cancelled:
            events += gathering.cancel(now())
            await Gatherings(uow.session).save(gathering)
        return events
    events = gathering.cancel(now()) if intent.cancelled else gathering.change(details)
    await Gatherings(uow.session).save(gathering)
    return events


async def _gathering(uow: UnitOfWork, source: str, external_id: str) -> Gathering:
    gathering = await Gatherings(uow.session).by_external_ref(source, external_id)
    if gathering is None:
        raise NotFound(
            f"no event with external id {external_id!r} from source {source!r}",
            field="event_external_id",
        )
    return gathering


async def _attendance(uow: UnitOfWork, event_id: str, email: str):
    email = normalise_email(email)
    member_id = await Members(uow.session).by_email(email)
    attendances = Attendances(uow.session)
    if member_id is not None:
        return await attendances.of_member(event_id, member_id)
    return await attendances.of_email(event_id, email)


async def _answer_rsvp(intent: AnswerRsvp, uow: UnitOfWork, delivery: Delivery) -> list[Event]:
    gathering = await _gathering(uow, delivery.source, intent.event_external_id)
    attendance = await _attendance(uow, gathering.id, intent.email)
    events = attendance.answer(gathering, intent.status, intent.answered_at or delivery.sent_at)
    await Attendances(uow.session).save(attendance)
    return events


async def _check_in(intent: CheckIn, uow: UnitOfWork, source: str, policy: Policy) -> list[Event]:
    check_not_ahead(intent.checked_in_at, now(), policy.future_tolerance, field="checked_in_at")
    gathering = await _gathering(uow, source, intent.event_external_id)
    attendance = await _attendance(uow, gathering.id, intent.email)
    events = attendance.check_in(gathering, intent.checked_in_at, intent.attendance)
    await Attendances(uow.session).save(attendance)
    return events


async def _log_meeting(
    intent: LogMeeting, uow: UnitOfWork, source: str, policy: Policy
) -> list[Event]:
    meetings = Meetings(uow.session)
    if intent.external_id and await meetings.by_external_ref(source, intent.external_id):
        return []  # the same meeting sent again under another webhook id
    gathering = None
    if intent.event_external_id is not None:
        gathering = await _gathering(uow, source, intent.event_external_id)
    members = Members(uow.session)
    participants = []
    for email in map(normalise_email, intent.emails):
        member_id = await members.by_email(email)
        participants.append(Participant(member_id, None if member_id else email))
    meeting = new_meeting(
        meeting_id=str(uuid.uuid4()),
        participants=participants,
        started_at=intent.started_at,
        ended_at=intent.ended_at,
        gathering=gathering,
        source=intent.source,
        now=now(),
        tolerance=policy.future_tolerance,
    )
    events = meeting.publishable()
    external_ref = (source, intent.external_id) if intent.external_id else None
    await meetings.add(meeting, external_ref=external_ref)
    return events


# --- the deliveries API ---------------------------------------------------------------------


def list_deliveries_handler(cursors: Cursors):
    async def list_deliveries(query: DeliveryQuery, uow: UnitOfWork) -> DeliveryPage:
        """Webhook deliveries by status (failed ones with their reason), oldest first."""
        scope = listing_scope("deliveries", query.status, query.source)
        after = read_position(cursors, query.cursor, scope, "s")
        page = await Deliveries(uow.session).page(
            status=query.status,
            source=query.source,
            after=after[0] if after else None,
            limit=query.limit + 1,
        )
        more = len(page) > query.limit
        page = page[: query.limit]
        return DeliveryPage(
            items=[DeliveryView.model_validate(d.view()) for d in page],
            next_cursor=cursors.issue(scope, [page[-1].id]) if more else None,
        )

    return list_deliveries


def replay_handler(policy: Policy):
    async def replay_delivery(command: DeliveryRef, uow: UnitOfWork) -> DeliveryView:
        """Normalise a failed delivery again (after a fix); its effect happens once."""
        delivery = await Deliveries(uow.session).get(command.delivery_id)
        if delivery is None:
            raise NotFound(f"no delivery with id {command.delivery_id}", field="delivery_id")
        delivery.replay()
        await normalise_and_record(uow, delivery, policy, new=False)
        return DeliveryView.model_validate(delivery.view())

    return replay_delivery
