"""Profiles: members and their profiles; the source of member.registered/updated/deleted."""
