"""Idempotent event consumers with bounded retries and a dead-letter stream.

Two kinds: `EventConsumer` for envelopes (facts), singly or in batches, and
`MessageConsumer` for raw messages such as webhook deliveries. Every durable consumer acks
explicitly (AckPolicy.MANUAL in FastStream, explicit in NATS):
- the envelope or payload does not parse, its `source` is not the service that owns the
  subject, or it is dated further ahead of its arrival than RAPPORT_MEETING_FUTURE_TOLERANCE:
  dead-lettered at once with the reason (retrying cannot help; no single message can speak
  for another service or move a watermark into the future);
- the handler fails: nak with the configured backoff, until the last allowed attempt, then
  dead-lettered with the error and terminated, so the consumer moves on;
- the event was handled before (its id is in the inbox): acked and skipped.
The effect and the inbox row commit in one transaction.

`durable` holds what both kinds share (configuration, retries, dead letters, subscription),
`events` the `EventConsumer`, `messages` the `MessageConsumer`, and `fact_checks` the checks
of a readable fact's source and moments.
"""
