"""Content's whole database schema: every feature's tables, on one metadata."""

from __future__ import annotations

from .base import Base
from .chats import tables as _chats
from .copies import tables as _copies
from .engagement import tables as _engagement
from .feed import tables as _feed
from .groups import tables as _groups
from .mentions import store as _mentions
from .posts import tables as _posts
from .startup import StateRow

TABLES = (_chats, _copies, _engagement, _feed, _groups, _mentions, _posts, StateRow)
metadata = Base.metadata

__all__ = ["Base", "metadata"]
