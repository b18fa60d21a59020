"""A member's content stats: posts, engagement received and given, audience, content value."""

from __future__ import annotations

from datetime import datetime

from ...operations import SELF, Answer, operation
from .common import SERVICE, MemberQuery


class Engagement(Answer):
    reactions: int
    comments: int
    shares: int
    members: int


class ContentStats(Answer):
    member_id: str
    window_days: float
    since: datetime
    posts: int
    engagement_received: Engagement
    engagement_given: Engagement
    audience: int
    content_value: float


content_stats = operation(
    SERVICE,
    "content_stats",
    MemberQuery,
    ContentStats,
    "A member's posts, engagement received and given, and content value",
    errors=(404,),
    access=SELF(),
)
