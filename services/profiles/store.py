"""Profiles' tables and repository."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, MetaData, String, Text, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime

from .domain import Member
from .industry_keywords import normalise_industry


class Base(DeclarativeBase):
    metadata = MetaData()


class MemberRow(Base):
    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handle: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    headline: Mapped[str] = mapped_column(String(200), default="")
    about: Mapped[str] = mapped_column(Text, default="")
    headshot_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    industry: Mapped[str] = mapped_column(String(100), default="")
    # the industry as members of it are grouped (case and spacing ignored)
    industry_key: Mapped[str] = mapped_column(String(100), default="", index=True)
    location: Mapped[str] = mapped_column(String(100), default="")
    team: Mapped[str] = mapped_column(String(100), default="")
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    accomplishments: Mapped[list] = mapped_column(JSON, default=list)
    goals: Mapped[list] = mapped_column(JSON, default=list)
    values: Mapped[list] = mapped_column(JSON, default=list)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the identity provider's subject of the member's tokens
    subject: Mapped[str | None] = mapped_column(String(256), unique=True, nullable=True)
    # the profile strength score last published in profile_strength.changed
    strength_score: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Members:
    """Repository of members."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, member_id: str) -> Member | None:
        row = await self.session.get(MemberRow, member_id)
        return _to_member(row) if row else None

    async def owner_of_handle(self, handle: str) -> str | None:
        return await self.session.scalar(select(MemberRow.id).where(MemberRow.handle == handle))

    async def owner_of_subject(self, subject: str) -> str | None:
        return await self.session.scalar(select(MemberRow.id).where(MemberRow.subject == subject))

    async def owner_of_email(self, email: str) -> str | None:
        return await self.session.scalar(select(MemberRow.id).where(MemberRow.email == email))

    async def add(self, member: Member, *, registered_at: datetime) -> None:
        self.session.add(MemberRow(**_columns(member), registered_at=registered_at))
        await self.session.flush()

    async def save(self, member: Member) -> None:
        row = await self.session.get(MemberRow, member.id)
        for key, value in _columns(member).items():
            setattr(row, key, value)
        await self.session.flush()

    async def erase(self, member_id: str) -> None:
        await self.session.execute(delete(MemberRow).where(MemberRow.id == member_id))

    async def keywords_in_industry(self, industry: str) -> list[tuple[str, list[str], int | None]]:
        """(id, keywords, score last published) of every member of an industry: what its
        keyword use and the scores that may move are computed from (no full profiles)."""
        key = normalise_industry(industry)
        if not key:
            return []
        rows = await self.session.execute(
            select(MemberRow.id, MemberRow.keywords, MemberRow.strength_score).where(
                MemberRow.industry_key == key
            )
        )
        return [(row.id, list(row.keywords), row.strength_score) for row in rows]

    async def get_many(self, ids: list[str]) -> list[Member]:
        found: list[Member] = []
        for start in range(0, len(ids), 500):
            rows = await self.session.scalars(
                select(MemberRow).where(MemberRow.id.in_(ids[start : start + 500]))
            )
            found += [_to_member(row) for row in rows]
        return found

    async def strength_score(self, member_id: str) -> int | None:
        return await self.session.scalar(
            select(MemberRow.strength_score).where(MemberRow.id == member_id)
        )

    async def record_strength(self, member_id: str, score: int) -> None:
        await self.session.execute(
            update(MemberRow).where(MemberRow.id == member_id).values(strength_score=score)
        )

    async def page(self, *, after: str | None, limit: int) -> list[Member]:
        query = select(MemberRow).order_by(MemberRow.id).limit(limit)
        if after:
            query = query.where(MemberRow.id > after)
        return [_to_member(r) for r in (await self.session.scalars(query)).all()]


def _columns(member: Member) -> dict:
    data = member.profile()
    data["id"] = data.pop("member_id")
    data["industry_key"] = normalise_industry(member.industry)
    data["subject"] = member.subject
    return data


def _to_member(row: MemberRow) -> Member:
    return Member(
        id=row.id,
        handle=row.handle,
        name=row.name,
        email=row.email,
        headline=row.headline,
        about=row.about,
        headshot_url=row.headshot_url,
        industry=row.industry,
        location=row.location,
        team=row.team,
        keywords=list(row.keywords),
        skills=list(row.skills),
        accomplishments=list(row.accomplishments),
        goals=list(row.goals),
        values=list(row.values),
        subject=row.subject,
    )
