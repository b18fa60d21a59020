"""Whom a member should connect with, and why: the suggestion index and its ranking.

A candidate's score (0-100) combines four signals, each turned into 0-1 by
`1 - exp(-raw / scale)` and weighted (weights and scales are settings):

- **fit**: BM25 of the member's goals and keywords (the query) against the candidate's
  skills, keywords, accomplishments and headline (the document), with document frequencies
  over the org's profiles;
- **mutual connections**: Adamic-Adar, the sum of 1 / ln(degree) over mutual connections, so
  that a mutual connection with few connections says more than a hub;
- **shared groups**: the sum of 1 / ln(size) over the groups both belong to;
- **shared events**: the sum of 1 / ln(participants) over the events both are going to or
  attended (cancelled events do not count).

score = 100 * sum(weight_s * signal_s) / sum(weight_s); each reason carries its signal's share
of the score as `points`, so a suggestion's points add up to its score.

The index is a plain in-memory structure fed with profiles, connections, group memberships
and event participation; it decides nothing about who may be suggested: the caller passes the
members to exclude (connected, pending, blocked, dismissed). Pure Python: no I/O.
"""
