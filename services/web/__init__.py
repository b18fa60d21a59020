"""The web app: server-rendered pages (Jinja2 + htmx) that call the gateway's own API as the
signed-in member, served by the gateway under `/` (docs/architecture.md#web-app)."""
