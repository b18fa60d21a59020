"""Commands and queries sent over request/reply, validated by the gateway and by the service.

Field limits are part of the API and documented in docs/api.md.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .api.profiles import MemberRef
from .fields import MemberId

__all__ = ["MemberId", "MemberRef"]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SendConnectionRequest(_Command):
    requester_id: MemberId
    addressee_id: MemberId


class DecideConnectionRequest(_Command):
    """Accept, decline or withdraw: `member_id` is the member acting."""

    request_id: MemberId
    member_id: MemberId


class PairCommand(_Command):
    """An action of `member_id` towards `other_id` (remove connection, follow, block...)."""

    member_id: MemberId
    other_id: MemberId


class SuggestionsQuery(_Command):
    """A member's suggestions; `limit` is checked by the connections service (1 to
    RAPPORT_SUGGESTION_LIMIT_MAX, default RAPPORT_SUGGESTION_LIMIT_DEFAULT)."""

    member_id: MemberId
    limit: int | None = None


class DismissSuggestion(_Command):
    """`member_id` no longer wants `other_id` suggested, for good."""

    member_id: MemberId
    other_id: MemberId
