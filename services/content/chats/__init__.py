"""Chats: a group's chat (members only) and direct messages between two members."""
