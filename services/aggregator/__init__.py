"""Aggregator: relationship health per pair and balance per member, projected from events."""
