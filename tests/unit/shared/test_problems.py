"""How validation problems map to statuses: malformed URLs are 400, the rest 422."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.contracts.api.profiles import MemberChanges, RegisterMember
from shared.contracts.rpc import Problem, validation_status

VALID = {"handle": "ada", "name": "Ada", "email": "ada@example.org"}


@pytest.mark.parametrize("url", ["ftp://example.com/a.png", "not a url", "javascript:x()"])
def test_a_headshot_url_that_is_not_http_is_a_400_naming_it(url: str):
    with pytest.raises(ValidationError) as error:
        MemberChanges(headshot_url=url)
    problem = Problem.from_validation(error.value)

    assert problem.status == 400
    assert problem.type == "/problems/malformed-value"
    assert [e.field for e in problem.errors] == ["headshot_url"]


def test_a_headshot_of_the_wrong_type_or_with_other_problems_is_a_422():
    with pytest.raises(ValidationError) as error:
        MemberChanges(headshot_url=123)
    assert Problem.from_validation(error.value).status == 422
    with pytest.raises(ValidationError) as error:
        RegisterMember(**VALID | {"headshot_url": "ftp://x.org/a.png", "name": ""})
    assert Problem.from_validation(error.value).status == 422


def test_no_error_at_all_is_not_a_malformed_value():
    assert validation_status([]) == 422
