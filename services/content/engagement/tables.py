"""Tables of comments, reactions and shares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UTCDateTime

from ..base import Base


class CommentRow(Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_post_created", "post_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    thread_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reply_to_comment_id: Mapped[str | None] = mapped_column(String(64))
    reply_to_author_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReactionRow(Base):
    """One reaction per member per post or comment: the primary key forbids a second."""

    __tablename__ = "reactions"

    target_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    post_id: Mapped[str] = mapped_column(String(64), index=True)
    comment_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShareRow(Base):
    """One share per member per post: the unique constraint forbids a second."""

    __tablename__ = "shares"
    __table_args__ = (
        UniqueConstraint("post_id", "sharer_id", name="uq_shares_post_sharer"),
        Index("ix_shares_sharer_created", "sharer_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(64))
    sharer_id: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
