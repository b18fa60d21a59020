"""TRANSITIONAL: re-exports of the field types and requests unconverted services still import
from here (each service's API now lives in shared/contracts/api/<service>.py).
"""

from __future__ import annotations

from .api.profiles import MemberRef
from .fields import MemberId

__all__ = ["MemberId", "MemberRef"]
