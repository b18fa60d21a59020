"""The subject naming scheme. Subjects carry kinds, never ids (metrics label by subject).

- facts:    rapport.<domain>.<event type>        e.g. rapport.profiles.member.registered
- commands and queries (core NATS request/reply): rapport.rpc.<service>.<operation>
- dead letters: rapport.deadletter.<durable consumer>
- raw webhook deliveries: rapport.webhooks.<payload adapter>  e.g. rapport.webhooks.luma
"""

from __future__ import annotations

from .envelope import Event

PREFIX = "rapport"


def event_subject(event: type[Event] | Event) -> str:
    return f"{PREFIX}.{event.domain}.{event.type}"


def domain_subjects(domain: str) -> str:
    return f"{PREFIX}.{domain}.>"


def rpc_subject(service: str, operation: str) -> str:
    return f"{PREFIX}.rpc.{service}.{operation}"


def dead_letter_subject(durable: str) -> str:
    return f"{PREFIX}.deadletter.{durable}"


DEAD_LETTER_SUBJECTS = f"{PREFIX}.deadletter.>"


def webhook_subject(adapter: str) -> str:
    """Where the gateway stores a raw webhook delivery: one subject per payload adapter."""
    return f"{PREFIX}.webhooks.{adapter}"


WEBHOOK_SUBJECTS = f"{PREFIX}.webhooks.>"
