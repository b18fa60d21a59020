"""Shared contracts: the envelope, events, subjects, streams and RPC shapes."""
