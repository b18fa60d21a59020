"""Queries profiles answers beyond single members."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MemberPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: str | None = Field(None, max_length=64)
    limit: int = Field(50, ge=1, le=200)
