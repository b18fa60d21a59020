"""Writes the AsyncAPI document of a service: FastStream's for its facts, and its declared
operations (request and reply schemas) for its RPC subjects.

python -m shared.asyncapi <service>        prints it
make asyncapi                               refreshes docs/asyncapi/<service>.json
"""

from __future__ import annotations

import importlib
import json
import sys

from pydantic import BaseModel

from shared.contracts.envelope import Envelope
from shared.contracts.operations import Operation, operations_of
from shared.contracts.rpc import Problem
from shared.contracts.streams import ConsumerSpec, consumers_of
from shared.settings import SERVICES

REF = "#/components/schemas/{model}"


def document(service: str) -> str:
    if service not in SERVICES:
        raise SystemExit(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    app = importlib.import_module(f"services.{service}.app")
    # a fixed server address, so the document does not depend on the local environment
    from shared.settings import Settings

    asgi = app.create_app(Settings(nats={"url": "nats://nats:4222"}, log={"level": "WARNING"}))
    spec = json.loads(asgi.schema.to_specification().to_json())
    for operation in operations_of(service):
        add_operation(spec, operation)
    for consumer in consumers_of(service):
        add_consumer(spec, consumer)
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def add_operation(spec: dict, operation: Operation) -> None:
    """A request/reply channel: the request the service receives and the reply it sends."""
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    messages = components.setdefault("messages", {})
    subject = operation.subject
    request_ref = _schema(schemas, operation.request)
    reply_ref = _schema(schemas, operation.reply)
    problem_ref = _schema(schemas, Problem)
    messages[f"{subject}:Request"] = {
        "title": f"{subject}:Request",
        "summary": operation.summary,
        "payload": {"$ref": request_ref},
    }
    messages[f"{subject}:Reply"] = {
        "title": f"{subject}:Reply",
        "payload": {
            "title": f"{operation.reply.__name__}Reply",
            "type": "object",
            "required": ["ok"],
            "properties": {
                "ok": {"type": "boolean"},
                "result": {"oneOf": [{"$ref": reply_ref}, {"type": "null"}]},
                "problem": {"oneOf": [{"$ref": problem_ref}, {"type": "null"}]},
            },
        },
    }
    spec.setdefault("channels", {})[subject] = {
        "address": subject,
        "messages": {
            "request": {"$ref": f"#/components/messages/{subject}:Request"},
            "reply": {"$ref": f"#/components/messages/{subject}:Reply"},
        },
    }
    spec.setdefault("operations", {})[subject] = {
        "action": "receive",
        "summary": operation.summary,
        "channel": {"$ref": f"#/channels/{subject}"},
        "messages": [{"$ref": f"#/channels/{subject}/messages/request"}],
        "reply": {
            "address": {"location": "$message.header#/reply_to"},
            "messages": [{"$ref": f"#/channels/{subject}/messages/reply"}],
        },
    }


def add_consumer(spec: dict, consumer: ConsumerSpec) -> None:
    """A durable consumer: the facts (envelopes) or raw messages it receives, batched or not
    (batch consumers run a fetch loop of their own, which FastStream does not document)."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    envelope_ref = _schema(schemas, Envelope)
    name = consumer.durable
    what = ", ".join(consumer.event_types) or ", ".join(consumer.subjects)
    spec.setdefault("components", {}).setdefault("messages", {})[f"{name}:Message"] = {
        "title": f"{name}:Message",
        "summary": f"{consumer.service} consumes {what} from stream {consumer.stream}",
        "payload": {"$ref": envelope_ref}
        if consumer.event_types
        else {"title": "RawDelivery", "type": "object", "description": "a raw delivery"},
    }
    spec.setdefault("channels", {})[name] = {
        "address": " ".join(consumer.filter_subjects),
        "messages": {"message": {"$ref": f"#/components/messages/{name}:Message"}},
    }
    spec.setdefault("operations", {})[name] = {
        "action": "receive",
        "summary": f"durable pull consumer {name} (batches of up to {consumer.batch_size})",
        "channel": {"$ref": f"#/channels/{name}"},
        "messages": [{"$ref": f"#/channels/{name}/messages/message"}],
    }


def _schema(schemas: dict, model: type[BaseModel]) -> str:
    schema = model.model_json_schema(ref_template=REF)
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return REF.format(model=model.__name__)


if __name__ == "__main__":
    if sys.argv[1] == "--write":
        import subprocess
        from pathlib import Path

        target = Path(sys.argv[2])
        target.mkdir(parents=True, exist_ok=True)
        for name in SERVICES:  # one process each: every service registers its own metrics
            text = subprocess.run(
                [sys.executable, "-m", "shared.asyncapi", name],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            (target / f"{name}.json").write_text(text)
    else:
        sys.stdout.write(document(sys.argv[1]))
