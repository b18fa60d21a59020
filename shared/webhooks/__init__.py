"""Webhook payloads: what each event platform sends, turned into Rapport's intents."""
