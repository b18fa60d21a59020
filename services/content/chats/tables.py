"""Tables of group chat messages and direct messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UTCDateTime

from ..base import Base


class GroupMessageRow(Base):
    __tablename__ = "group_messages"
    __table_args__ = (Index("ix_group_messages_group_created", "group_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    reply_to_message_id: Mapped[str | None] = mapped_column(String(64))
    reply_to_author_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DirectMessageRow(Base):
    __tablename__ = "direct_messages"
    __table_args__ = (Index("ix_direct_messages_pair_created", "pair", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pair: Mapped[str] = mapped_column(String(130))  # "a|b" with a < b
    sender_id: Mapped[str] = mapped_column(String(64), index=True)
    recipient_id: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def pair_key(one: str, other: str) -> str:
    return f"{one}|{other}" if one < other else f"{other}|{one}"
