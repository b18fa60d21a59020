"""Connections: requests, connections, follows and blocks between members."""
