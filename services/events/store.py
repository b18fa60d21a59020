"""The events service's tables and repositories: its copy of members' emails, gatherings
and their external references, attendances, meetings, webhook deliveries, and its own small
state (the cursor key)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.copies import CopiedRow, Copies, Version
from shared.db import UTCDateTime

from .deliveries import Delivery, Named
from .domain import Attendance, ChangedMeanwhile, Gathering, Meeting, Participant


class Base(DeclarativeBase):
    metadata = MetaData()


class KnownMember(CopiedRow, Base):
    """The service's own copy of members' emails, fed by profile events (shared.copies: the
    newest fact wins; an erased member keeps a tombstone, the id only)."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)


class StateRow(Base):
    """Small values the service keeps for itself: the cursor key."""

    __tablename__ = "service_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class GatheringRow(Base):
    __tablename__ = "gatherings"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(16), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    venue: Mapped[str] = mapped_column(String(200), default="")
    organiser_id: Mapped[str | None] = mapped_column(String(64), index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)


class ExternalRefRow(Base):
    __tablename__ = "external_refs"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("gatherings.id"), index=True)


class AttendanceRow(Base):
    __tablename__ = "attendances"
    __table_args__ = (
        UniqueConstraint("event_id", "member_id"),
        UniqueConstraint("event_id", "email"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("gatherings.id"), index=True)
    member_id: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    rsvp: Mapped[str | None] = mapped_column(String(16))
    rsvp_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=0)


class MeetingRow(Base):
    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("external_source", "external_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    logged: Mapped[bool] = mapped_column(Boolean, default=False)
    external_source: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=0)


class ParticipantRow(Base):
    __tablename__ = "meeting_participants"

    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)


class DeliveryRow(Base):
    """Every webhook delivery the service has seen, by (source, webhook id): the memory
    that makes a redelivery after the JetStream duplicate window harmless. The body is kept
    only while the delivery has failed, for replay."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("source", "webhook_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    webhook_id: Mapped[str] = mapped_column(String(200))
    adapter: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)


class DeliveryMessageRow(Base):
    """A delivery's raw message in the WEBHOOKS stream, by its sequence there (a sender's retry
    after the duplicate window is a second one): what an erasure deletes in the stream."""

    __tablename__ = "webhook_delivery_messages"

    sequence: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )


class DeliveryNameRow(Base):
    """Whom a delivery names: each email's digest (never the email) and the member it was
    when the delivery arrived. An erasure finds the member's deliveries by these."""

    __tablename__ = "webhook_delivery_names"

    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    member_id: Mapped[str | None] = mapped_column(String(64), index=True)


# --- members ------------------------------------------------------------------------------


class Members:
    """The copy of members (their current email), through shared.copies."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.copies = Copies(session, KnownMember, personal=("email",))

    async def active(self, member_id: str) -> KnownMember | None:
        return await self.copies.get(member_id)

    async def by_email(self, email: str) -> str | None:
        return await self.session.scalar(
            select(KnownMember.id)
            .where(KnownMember.email == email, KnownMember.deleted.is_(False))
            .order_by(KnownMember.as_of.desc(), KnownMember.event_id.desc())
            .limit(1)
        )

    async def upsert(self, member_id: str, *, email: str, version: Version) -> bool:
        """Keep the member's current email; False when the fact is stale or the member
        erased."""
        return await self.copies.apply(member_id, {"email": email}, version)

    async def forget(self, member_id: str, *, version: Version) -> None:
        await self.copies.erase(member_id, version)


class State:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, name: str) -> str | None:
        row = await self.session.get(StateRow, name)
        return row.value if row else None

    async def put(self, name: str, value: str) -> None:
        row = await self.session.get(StateRow, name)
        if row is None:
            self.session.add(StateRow(name=name, value=value))
        else:
            row.value = value
        await self.session.flush()


# --- gatherings ---------------------------------------------------------------------------


class Gatherings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, event_id: str) -> Gathering | None:
        row = await self.session.get(GatheringRow, event_id)
        if row is None:
            return None
        refs = await self.session.execute(
            select(ExternalRefRow.source, ExternalRefRow.external_id)
            .where(ExternalRefRow.event_id == event_id)
            .order_by(ExternalRefRow.source, ExternalRefRow.external_id)
        )
        return _to_gathering(row, [(r.source, r.external_id) for r in refs])

    async def by_external_ref(self, source: str, external_id: str) -> Gathering | None:
        """The gathering with this reference (its other references are not loaded)."""
        row = await self.session.scalar(
            select(GatheringRow)
            .join(ExternalRefRow, ExternalRefRow.event_id == GatheringRow.id)
            .where(ExternalRefRow.source == source, ExternalRefRow.external_id == external_id)
        )
        return _to_gathering(row, [(source, external_id)]) if row else None

    async def owner_of_ref(self, source: str, external_id: str) -> str | None:
        return await self.session.scalar(
            select(ExternalRefRow.event_id).where(
                ExternalRefRow.source == source, ExternalRefRow.external_id == external_id
            )
        )

    async def add(self, gathering: Gathering, *, created_at: datetime) -> None:
        self.session.add(GatheringRow(**_columns(gathering), created_at=created_at, version=0))
        await self.session.flush()
        for source, external_id in gathering.external_refs:
            self.session.add(
                ExternalRefRow(source=source, external_id=external_id, event_id=gathering.id)
            )
        await self.session.flush()

    async def save(self, gathering: Gathering) -> None:
        """Write the gathering as it was changed, only if nobody changed it since it was
        loaded (compare-and-set on its version: an update racing a cancellation loses)."""
        done = await self.session.execute(
            update(GatheringRow)
            .where(GatheringRow.id == gathering.id, GatheringRow.version == gathering.version)
            .values(**_columns(gathering), version=gathering.version + 1)
        )
        if done.rowcount != 1:
            raise ChangedMeanwhile("event", "event_id")
        gathering.version += 1

    async def upcoming(
        self,
        *,
        ending_after: datetime,
        starting_before: datetime | None,
        format: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Gathering]:
        query = select(GatheringRow).where(
            GatheringRow.cancelled_at.is_(None), GatheringRow.ends_at > ending_after
        )
        if starting_before is not None:
            query = query.where(GatheringRow.starts_at < starting_before)
        if format is not None:
            query = query.where(GatheringRow.format == format)
        if after is not None:
            starts_at, event_id = after
            query = query.where(
                (GatheringRow.starts_at > starts_at)
                | ((GatheringRow.starts_at == starts_at) & (GatheringRow.id > event_id))
            )
        rows = list(
            await self.session.scalars(
                query.order_by(GatheringRow.starts_at, GatheringRow.id).limit(limit)
            )
        )
        refs: dict[str, list[tuple[str, str]]] = {row.id: [] for row in rows}
        for ref in await self.session.execute(
            select(ExternalRefRow)
            .where(ExternalRefRow.event_id.in_(refs))
            .order_by(ExternalRefRow.source, ExternalRefRow.external_id)
        ):
            ref = ref[0]
            refs[ref.event_id].append((ref.source, ref.external_id))
        return [_to_gathering(row, refs[row.id]) for row in rows]

    async def forget_organiser(self, member_id: str) -> None:
        await self.session.execute(
            update(GatheringRow)
            .where(GatheringRow.organiser_id == member_id)
            .values(organiser_id=None)
        )


def _columns(gathering: Gathering) -> dict:
    return {
        "id": gathering.id,
        "title": gathering.title,
        "kind": gathering.kind,
        "format": gathering.format,
        "starts_at": gathering.starts_at,
        "ends_at": gathering.ends_at,
        "timezone": gathering.timezone,
        "venue": gathering.venue,
        "organiser_id": gathering.organiser_id,
        "cancelled_at": gathering.cancelled_at,
    }


def _to_gathering(row: GatheringRow, refs: list[tuple[str, str]]) -> Gathering:
    return Gathering(
        id=row.id,
        title=row.title,
        kind=row.kind,
        format=row.format,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        venue=row.venue,
        organiser_id=row.organiser_id,
        external_refs=refs,
        cancelled_at=row.cancelled_at,
        version=row.version,
    )


# --- attendances --------------------------------------------------------------------------


class Attendances:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_member(self, event_id: str, member_id: str) -> Attendance:
        row = await self.session.scalar(
            select(AttendanceRow).where(
                AttendanceRow.event_id == event_id, AttendanceRow.member_id == member_id
            )
        )
        return _to_attendance(row) if row else Attendance(event_id, member_id=member_id)

    async def of_email(self, event_id: str, email: str) -> Attendance:
        row = await self.session.scalar(
            select(AttendanceRow).where(
                AttendanceRow.event_id == event_id, AttendanceRow.email == email
            )
        )
        return _to_attendance(row) if row else Attendance(event_id, email=email)

    async def pending_for(self, email: str) -> list[Attendance]:
        rows = await self.session.scalars(
            select(AttendanceRow)
            .where(AttendanceRow.email == email, AttendanceRow.member_id.is_(None))
            .order_by(AttendanceRow.id)
        )
        return [_to_attendance(row) for row in rows]

    async def save(self, attendance: Attendance) -> None:
        """Insert a new attendance (the unique (event, member) and (event, email) make a
        racing insert fail), or update the row it was loaded from only if nobody changed it
        since (compare-and-set on its version). Either way, of two racing RSVPs or check-ins
        one wins and the other is refused: never two facts for one change."""
        fields = {
            "member_id": attendance.member_id,
            "email": attendance.email,
            "rsvp": attendance.rsvp,
            "rsvp_at": attendance.rsvp_at,
            "checked_in_at": attendance.checked_in_at,
            "attendance": attendance.attendance,
        }
        if attendance.row_id is None:
            row = AttendanceRow(event_id=attendance.event_id, **fields, version=0)
            self.session.add(row)
            await self.session.flush()
            attendance.row_id, attendance.version = row.id, 0
            return
        done = await self.session.execute(
            update(AttendanceRow)
            .where(
                AttendanceRow.id == attendance.row_id, AttendanceRow.version == attendance.version
            )
            .values(**fields, version=attendance.version + 1)
        )
        if done.rowcount != 1:
            raise ChangedMeanwhile("attendance", "member_id")
        attendance.version += 1

    async def drop_pending(self, event_id: str, email: str | None) -> None:
        if email is None:
            return
        await self.session.execute(
            delete(AttendanceRow).where(
                AttendanceRow.event_id == event_id,
                AttendanceRow.email == email,
                AttendanceRow.member_id.is_(None),
            )
        )

    async def members_of(self, event_id: str) -> list[Attendance]:
        rows = await self.session.scalars(
            select(AttendanceRow)
            .where(AttendanceRow.event_id == event_id, AttendanceRow.member_id.is_not(None))
            .order_by(AttendanceRow.id)
        )
        return [_to_attendance(row) for row in rows]

    async def pending_count(self, event_id: str) -> int:
        return await self.session.scalar(
            select(func.count())
            .select_from(AttendanceRow)
            .where(AttendanceRow.event_id == event_id, AttendanceRow.member_id.is_(None))
        )

    async def erase_member(self, member_id: str) -> None:
        await self.session.execute(
            delete(AttendanceRow).where(AttendanceRow.member_id == member_id)
        )


def _to_attendance(row: AttendanceRow) -> Attendance:
    return Attendance(
        row_id=row.id,
        event_id=row.event_id,
        member_id=row.member_id,
        email=row.email,
        rsvp=row.rsvp,
        rsvp_at=row.rsvp_at,
        checked_in_at=row.checked_in_at,
        attendance=row.attendance,
        version=row.version,
    )


# --- meetings -----------------------------------------------------------------------------


class Meetings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, meeting_id: str) -> Meeting | None:
        row = await self.session.get(MeetingRow, meeting_id)
        if row is None:
            return None
        participants = await self.session.scalars(
            select(ParticipantRow)
            .where(ParticipantRow.meeting_id == meeting_id)
            .order_by(ParticipantRow.position)
        )
        return Meeting(
            id=row.id,
            participants=[Participant(p.member_id, p.email) for p in participants],
            started_at=row.started_at,
            ended_at=row.ended_at,
            event_id=row.event_id,
            source=row.source,
            logged=row.logged,
            version=row.version,
        )

    async def by_external_ref(self, source: str, external_id: str) -> str | None:
        return await self.session.scalar(
            select(MeetingRow.id).where(
                MeetingRow.external_source == source, MeetingRow.external_id == external_id
            )
        )

    async def add(self, meeting: Meeting, *, external_ref: tuple[str, str] | None = None) -> None:
        source, external_id = external_ref or (None, None)
        self.session.add(
            MeetingRow(
                id=meeting.id,
                started_at=meeting.started_at,
                ended_at=meeting.ended_at,
                event_id=meeting.event_id,
                source=meeting.source,
                logged=meeting.logged,
                external_source=source,
                external_id=external_id,
            )
        )
        await self.session.flush()
        for position, participant in enumerate(meeting.participants):
            self.session.add(
                ParticipantRow(
                    meeting_id=meeting.id,
                    position=position,
                    member_id=participant.member_id,
                    email=participant.email,
                )
            )
        await self.session.flush()

    async def save(self, meeting: Meeting) -> None:
        """Write the matched participants, only if nobody changed the meeting since it was
        loaded (compare-and-set: two participants registering at once must not both leave it
        waiting for the other, nor both publish it)."""
        done = await self.session.execute(
            update(MeetingRow)
            .where(MeetingRow.id == meeting.id, MeetingRow.version == meeting.version)
            .values(logged=meeting.logged, version=meeting.version + 1)
        )
        if done.rowcount != 1:
            raise ChangedMeanwhile("meeting", "meeting_id")
        meeting.version += 1
        for position, participant in enumerate(meeting.participants):
            await self.session.execute(
                update(ParticipantRow)
                .where(ParticipantRow.meeting_id == meeting.id, ParticipantRow.position == position)
                .values(member_id=participant.member_id, email=participant.email)
            )

    async def waiting_for(self, email: str) -> list[str]:
        rows = await self.session.scalars(
            select(ParticipantRow.meeting_id)
            .where(ParticipantRow.email == email, ParticipantRow.member_id.is_(None))
            .distinct()
        )
        return list(rows)

    async def of_member(self, member_id: str, *, limit: int) -> list[Meeting]:
        ids = await self.session.scalars(
            select(MeetingRow.id)
            .join(ParticipantRow, ParticipantRow.meeting_id == MeetingRow.id)
            .where(ParticipantRow.member_id == member_id)
            .order_by(MeetingRow.started_at.desc(), MeetingRow.id)
            .limit(limit)
        )
        return [m for m in [await self.get(i) for i in list(ids)] if m is not None]

    async def erase_member(self, member_id: str) -> None:
        """Remove the member from every meeting; a meeting left with fewer than two
        participants is deleted."""
        meeting_ids = list(
            await self.session.scalars(
                select(ParticipantRow.meeting_id).where(ParticipantRow.member_id == member_id)
            )
        )
        await self.session.execute(
            delete(ParticipantRow).where(ParticipantRow.member_id == member_id)
        )
        for meeting_id in meeting_ids:
            left = await self.session.scalar(
                select(func.count())
                .select_from(ParticipantRow)
                .where(ParticipantRow.meeting_id == meeting_id)
            )
            if left < 2:
                await self.session.execute(
                    delete(ParticipantRow).where(ParticipantRow.meeting_id == meeting_id)
                )
                await self.session.execute(delete(MeetingRow).where(MeetingRow.id == meeting_id))


# --- webhook deliveries -------------------------------------------------------------------


class Deliveries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def id_of(self, source: str, webhook_id: str) -> str | None:
        return await self.session.scalar(
            select(DeliveryRow.id).where(
                DeliveryRow.source == source, DeliveryRow.webhook_id == webhook_id
            )
        )

    async def get(self, delivery_id: str) -> Delivery | None:
        row = await self.session.get(DeliveryRow, delivery_id)
        return _to_delivery(row) if row else None

    async def add_message(self, delivery_id: str, sequence: int | None) -> None:
        """Another raw message of a known delivery (a sender's retry)."""
        if sequence is not None and await self.session.get(DeliveryMessageRow, sequence) is None:
            self.session.add(DeliveryMessageRow(sequence=sequence, delivery_id=delivery_id))
            await self.session.flush()

    async def save(self, delivery: Delivery, *, new: bool = False, names: list[Named] = ()) -> None:
        """Write the delivery; a new one with its raw message and whom it names."""
        row = None if new else await self.session.get(DeliveryRow, delivery.id)
        first = row is None
        if row is None:
            row = DeliveryRow(id=delivery.id)
            self.session.add(row)
        row.source, row.webhook_id, row.adapter = (
            delivery.source,
            delivery.webhook_id,
            delivery.adapter,
        )
        row.status, row.reason = delivery.status, delivery.reason
        row.body = delivery.body if delivery.status == "failed" else None
        row.sent_at, row.received_at = delivery.sent_at, delivery.received_at
        row.handled_at, row.attempts = delivery.handled_at, delivery.attempts
        await self.session.flush()
        if first:
            await self._record_names_and_message(delivery, names)

    async def page(
        self, *, status: str, source: str | None, after: str | None, limit: int
    ) -> list[Delivery]:
        query = select(DeliveryRow).where(DeliveryRow.status == status)
        if source is not None:
            query = query.where(DeliveryRow.source == source)
        if after is not None:
            query = query.where(DeliveryRow.id > after)
        rows = await self.session.scalars(query.order_by(DeliveryRow.id).limit(limit))
        return [_to_delivery(row) for row in rows]

    async def count(self, *, status: str) -> int:
        return await self.session.scalar(
            select(func.count()).select_from(DeliveryRow).where(DeliveryRow.status == status)
        )

    async def _record_names_and_message(self, delivery: Delivery, names: list[Named]) -> None:
        for name in names:
            self.session.add(
                DeliveryNameRow(
                    delivery_id=delivery.id,
                    email_digest=name.email_digest,
                    member_id=name.member_id,
                )
            )
        await self.add_message(delivery.id, delivery.sequence)

    async def naming(self, *, member_id: str, email_digest: str | None) -> list[str]:
        """The deliveries that name the member: by the member they resolved to, or by the
        member's current email."""
        named = DeliveryNameRow.member_id == member_id
        if email_digest is not None:
            named = named | (DeliveryNameRow.email_digest == email_digest)
        return list(
            await self.session.scalars(select(DeliveryNameRow.delivery_id).where(named).distinct())
        )

    async def received_before(self, cutoff: datetime) -> list[str]:
        return list(
            await self.session.scalars(
                select(DeliveryRow.id).where(DeliveryRow.received_at < cutoff)
            )
        )

    async def messages_of(self, delivery_ids: list[str]) -> list[int]:
        """The sequences of these deliveries' raw messages in the WEBHOOKS stream."""
        found: list[int] = []
        for chunk in _chunks(delivery_ids):
            found += await self.session.scalars(
                select(DeliveryMessageRow.sequence).where(DeliveryMessageRow.delivery_id.in_(chunk))
            )
        return sorted(found)

    async def erase(self, delivery_ids: list[str]) -> None:
        """Delete the records (their body, reason, names and message sequences)."""
        for chunk in _chunks(delivery_ids):
            for table in (DeliveryMessageRow, DeliveryNameRow):
                await self.session.execute(delete(table).where(table.delivery_id.in_(chunk)))
            await self.session.execute(delete(DeliveryRow).where(DeliveryRow.id.in_(chunk)))


def _chunks(ids: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _to_delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        source=row.source,
        webhook_id=row.webhook_id,
        adapter=row.adapter,
        body=row.body or b"",
        sent_at=row.sent_at,
        received_at=row.received_at,
        status=row.status,
        reason=row.reason,
        handled_at=row.handled_at,
        attempts=row.attempts,
    )
