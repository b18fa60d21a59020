"""`@handle` mentions in posts, comments and group messages."""
