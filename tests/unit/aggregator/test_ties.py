"""`ties_of` (every tie of a member in one pass, for rankings) says what `ties_between`
says for each other member."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from services.aggregator.domain import BLOCKS, CONNECTED, FOLLOWS, Ties, ties_between, ties_of

PEOPLE = ["a", "b", "c", "d"]
FACTS = [
    (one, other, aspect)
    for one, other in itertools.permutations(PEOPLE, 2)
    for aspect in (CONNECTED, FOLLOWS, BLOCKS)
]


@given(active=st.sets(st.sampled_from(FACTS)))
def test_the_ties_of_a_member_in_one_pass_are_the_ties_between_them_and_each_other(active):
    for member in PEOPLE:
        found = ties_of(member, active)
        for other in PEOPLE:
            if other != member:
                assert found.get(other, Ties()) == ties_between(member, other, active)
