"""Posts, comments, reactions, shares, groups, chats, the feed, mutes and content stats (owned
by the content service), a module per feature as in services/content. The acting member is
the caller: fields naming them (`author_id`, `owner_id`, the reader...) are filled from the
token; a `{member_id}` in the path must be the caller."""

from __future__ import annotations

# Each feature adds its routes to the one router when imported: in this order, the order of
# the OpenAPI document.
# isort: off
from . import posts, engagement, groups, chats, feed_and_mutes, stats  # noqa: F401

# isort: on
from .common import router

__all__ = ["router"]
