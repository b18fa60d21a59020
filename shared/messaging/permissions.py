"""Who may say what on the bus: one NATS identity per process kind, its permissions derived
from the declarations in shared.contracts (streams, consumers, subjects, services).

The same table writes nats-server's `authorization` block (`server_config`) and is printed in
docs/operations.md (`markdown_table`; tests/unit/test_bus_permissions_doc.py keeps it true),
so what the documentation says is what the server enforces:
- a service publishes facts only on its own domain's subjects (`rapport.<domain>.>`),
  answers only its own RPC subjects, in its queue group, and replies only to the requests
  it received (`allow_responses`); only the gateway sends requests and raw webhook
  deliveries, but for the operations declared for services (`SERVICES(...)` in
  shared.contracts.operations: profiles' `personal_data`, which the consumers of member
  facts ask): exactly the services named may request that subject, and the gateway may not;
- a consumer fetches, acks and reads the info of its own durables only, and dead-letters
  under its own durable's subject;
- the events service deletes raw webhook deliveries (in WEBHOOKS, and its webhook
  consumer's dead letters) when it erases a member;
- only the provisioning job creates and updates streams and consumers (and replays them, for
  the aggregator's rebuild);
- each identity reads replies only under its own inbox prefix (`_INBOX.<identity>.`), so no
  service can read the answers meant for another.

`python -m shared.messaging.permissions` prints the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from shared.contracts.operations import Operation, operations_of
from shared.contracts.streams import (
    DOMAINS,
    STREAMS,
    WEBHOOK_CONSUMER,
    WEBHOOK_DEAD_LETTER_READER,
    ConsumerSpec,
    all_consumers,
)
from shared.contracts.subjects import (
    WEBHOOK_SUBJECTS,
    dead_letter_subject,
    domain_subjects,
    rpc_subject,
)
from shared.settings import SERVICES

GATEWAY = "gateway"
PROVISIONING = "provisioning"
IDENTITIES = (*SERVICES, GATEWAY, PROVISIONING)
"""Every identity on the bus: the back-end services, the gateway, the provisioning job."""

JS_API = "$JS.API"


@dataclass(frozen=True)
class Permissions:
    """What one identity may do. A subscribe entry `subject queue` allows that subject only
    in that queue group (NATS's own syntax)."""

    identity: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    allow_responses: bool = False
    # refused even where `publish` allows (nats-server checks deny before allow)
    deny_publish: tuple[str, ...] = ()


def inbox_prefix(identity: str) -> str:
    """Where an identity receives replies (its requests', its JetStream calls')."""
    return f"_INBOX.{identity}"


def _consumer_permissions(spec: ConsumerSpec) -> list[str]:
    """Fetch, ack and inspect one durable, and dead-letter what it cannot handle."""
    stream, durable = spec.stream, spec.durable
    return [
        f"{JS_API}.CONSUMER.INFO.{stream}.{durable}",
        f"{JS_API}.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
        dead_letter_subject(durable),
    ]


def _webhook_erasure_permissions() -> list[str]:
    """The events service erases a member's raw webhook deliveries: deletes their messages in
    WEBHOOKS, and reads (through one named consumer on its webhook consumer's dead-letter
    subject only) and deletes their dead-lettered copies. A message delete names a sequence,
    not a subject: NATS cannot narrow it to one subject of DEADLETTER."""
    reader = f"DEADLETTER.{WEBHOOK_DEAD_LETTER_READER}"
    return [
        f"{JS_API}.STREAM.MSG.DELETE.WEBHOOKS",
        f"{JS_API}.STREAM.MSG.DELETE.DEADLETTER",
        f"{JS_API}.CONSUMER.CREATE.{reader}.{dead_letter_subject(WEBHOOK_CONSUMER)}",
        f"{JS_API}.CONSUMER.MSG.NEXT.{reader}",
        f"{JS_API}.CONSUMER.DELETE.{reader}",
    ]


def services_only() -> list[Operation]:
    """The operations only back-end services request (their access is `services`)."""
    return [
        op
        for answering in SERVICES
        for op in operations_of(answering)
        if op.access is not None and op.access.kind == "services"
    ]


def service_permissions(service: str) -> Permissions:
    publish = [domain_subjects(service)] if service in DOMAINS else []
    for spec in all_consumers():
        if spec.service == service:
            publish += _consumer_permissions(spec)
    publish += [op.subject for op in services_only() if service in op.access.fields]
    if service == "events":
        publish += _webhook_erasure_permissions()
    return Permissions(
        service,
        publish=tuple(publish),
        subscribe=(f"{rpc_subject(service, '>')} {service}", f"{inbox_prefix(service)}.>"),
        allow_responses=True,
    )


def gateway_permissions() -> Permissions:
    # besides requests and webhook deliveries: reading the streams' and consumers' state for
    # the JetStream metrics it exports (shared/natsmetrics.py), nothing that changes them
    return Permissions(
        GATEWAY,
        publish=(
            *(rpc_subject(s, ">") for s in SERVICES),
            WEBHOOK_SUBJECTS,
            f"{JS_API}.STREAM.LIST",
            f"{JS_API}.CONSUMER.LIST.*",
        ),
        subscribe=(f"{inbox_prefix(GATEWAY)}.>",),
        deny_publish=tuple(op.subject for op in services_only()),
    )


def provisioning_permissions() -> Permissions:
    """Streams and durables, created and updated; also the replay the aggregator's rebuild
    runs (an ephemeral consumer per stream, fetched without acks)."""
    publish = []
    for stream in STREAMS:
        name = stream.name
        publish += [
            f"{JS_API}.STREAM.INFO.{name}",
            f"{JS_API}.STREAM.CREATE.{name}",
            f"{JS_API}.STREAM.UPDATE.{name}",
            f"{JS_API}.CONSUMER.INFO.{name}.*",
            f"{JS_API}.CONSUMER.CREATE.{name}",
            f"{JS_API}.CONSUMER.CREATE.{name}.>",
            f"{JS_API}.CONSUMER.DURABLE.CREATE.{name}.*",
            f"{JS_API}.CONSUMER.MSG.NEXT.{name}.*",
        ]
    return Permissions(
        PROVISIONING, publish=tuple(publish), subscribe=(f"{inbox_prefix(PROVISIONING)}.>",)
    )


def permission_table() -> list[Permissions]:
    """Every identity's permissions, in IDENTITIES order."""
    return [
        *(service_permissions(s) for s in SERVICES),
        gateway_permissions(),
        provisioning_permissions(),
    ]


def server_config(
    passwords: dict[str, str],
    *,
    unrestricted: tuple[str, ...] = (),
) -> str:
    """nats-server's `authorization` block: a user per identity with its password and
    permissions; anything else (an anonymous client too) is refused. `unrestricted` names
    extra users with every permission (the test harness's own, never in `make run`)."""
    users = []
    for entry in permission_table():
        permissions: dict = {
            "publish": {"allow": list(entry.publish)}
            | ({"deny": list(entry.deny_publish)} if entry.deny_publish else {}),
            "subscribe": {"allow": list(entry.subscribe)},
        }
        if entry.allow_responses:
            permissions["allow_responses"] = True
        password = passwords[entry.identity]
        users.append({"user": entry.identity, "password": password, "permissions": permissions})
    for name in unrestricted:
        users.append({"user": name, "password": passwords[name]})
    # JSON is valid nats-server configuration; quoted strings are never variable references
    return "authorization " + json.dumps({"users": users}, indent=2) + "\n"


def markdown_table() -> str:
    """The table docs/operations.md shows."""

    def cell(items: tuple[str, ...]) -> str:
        return "<br>".join(f"`{item}`" for item in items) or "(nothing)"

    lines = [
        "| identity | may publish | may subscribe | replies to requests it receives |",
        "|---|---|---|---|",
    ]
    for entry in permission_table():
        publish = cell(entry.publish) + "".join(
            f"<br>but not `{subject}`" for subject in entry.deny_publish
        )
        lines.append(
            f"| `{entry.identity}` | {publish} | {cell(entry.subscribe)} | "
            f"{'yes' if entry.allow_responses else 'no'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
