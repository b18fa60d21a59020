"""The events service's tables and repositories, a module each: its copy of members' emails,
gatherings and their external references, attendances, meetings, webhook deliveries, and its
own small state (the cursor key). Importing the package puts every table on `Base.metadata`."""

from __future__ import annotations

from .attendances import Attendances
from .base import Base
from .deliveries import Deliveries
from .gatherings import Gatherings
from .meetings import Meetings
from .members import Members

__all__ = ["Attendances", "Base", "Deliveries", "Gatherings", "Meetings", "Members"]
