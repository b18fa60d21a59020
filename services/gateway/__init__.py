"""Gateway: the HTTP edge. REST API, OpenAPI document, and nothing but NATS behind it."""
