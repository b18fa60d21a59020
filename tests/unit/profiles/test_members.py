"""Members and the rules of their profiles."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from services.profiles.domain import Member, ensure_unique, new_member
from shared.contracts.api.profiles import MemberChanges, RegisterMember
from shared.errors import Conflict


def register(**overrides) -> RegisterMember:
    return RegisterMember(
        **{
            "handle": "ada",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "subject": "sub-ada",
            **overrides,
        }
    )


def ada(**overrides) -> Member:
    return Member(
        **{
            "id": "m-ada",
            "handle": "ada",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "headline": "Analyst",
            "headshot_url": "https://example.com/ada.png",
            "skills": ["maths"],
            **overrides,
        }
    )


# --- new_member ----------------------------------------------------------------------------


def test_a_new_member_gets_a_uuid_as_id():
    member = new_member(register())
    assert str(uuid.UUID(member.id)) == member.id


def test_each_new_member_gets_a_different_id():
    assert new_member(register()).id != new_member(register()).id


def test_a_new_member_has_their_email_normalised_to_lowercase():
    member = new_member(register(email="Ada.Lovelace@Example.COM"))
    assert member.email == "ada.lovelace@example.com"


def test_a_new_member_keeps_the_registered_fields_and_defaults_the_rest():
    member = new_member(register(headline="Analyst", skills=["maths", "poetry"], location="London"))

    assert member.handle == "ada"
    assert member.name == "Ada Lovelace"
    assert member.headline == "Analyst"
    assert member.skills == ["maths", "poetry"]
    assert member.location == "London"
    assert member.about == ""
    assert member.headshot_url is None
    assert member.keywords == []


def test_a_new_member_stores_the_headshot_url_as_a_string():
    member = new_member(register(headshot_url="https://example.com/ada.png"))
    assert member.headshot_url == "https://example.com/ada.png"


def test_the_profile_names_the_id_member_id():
    profile = ada().profile()
    assert profile["member_id"] == "m-ada"
    assert "id" not in profile


# --- apply ---------------------------------------------------------------------------------


def test_applying_changes_returns_only_the_fields_that_really_changed():
    member = ada()

    changed = member.apply(
        MemberChanges(headline="Analyst", name="Augusta Ada King", skills=["maths"])
    )

    assert changed == ["name"]
    assert member.name == "Augusta Ada King"
    assert member.headline == "Analyst"


def test_applying_changes_ignores_fields_that_were_not_set():
    member = ada(about="Wrote the first program", location="London")

    changed = member.apply(MemberChanges(headline="Countess"))

    assert changed == ["headline"]
    assert member.about == "Wrote the first program"
    assert member.location == "London"
    assert member.headshot_url == "https://example.com/ada.png"
    assert member.skills == ["maths"]


def test_applying_no_changes_changes_nothing():
    member = ada()
    assert member.apply(MemberChanges()) == []
    assert member == ada()


def test_applying_the_same_changes_twice_reports_them_only_once():
    member = ada()
    changes = MemberChanges(about="Poetical science", keywords=["engines"])

    assert sorted(member.apply(changes)) == ["about", "keywords"]
    assert member.apply(changes) == []


@pytest.mark.parametrize("field", ["email", "team"])
def test_email_and_team_are_not_the_members_to_change(field):
    # both come from the identity provider's token at registration (insights trust the team)
    with pytest.raises(ValidationError):
        MemberChanges(**{field: "ada@example.com"})


def test_a_new_member_is_bound_to_their_tokens_subject_and_team():
    member = new_member(register(subject="idp|ada", team="Research"))
    assert (member.subject, member.team) == ("idp|ada", "Research")
    assert "subject" not in member.profile()


def test_a_subject_bound_to_another_member_is_a_conflict_on_subject():
    with pytest.raises(Conflict) as error:
        ensure_unique(
            handle_owner=None, email_owner=None, member_id="m-ada", subject_owner="m-other"
        )
    assert error.value.field == "subject"


def test_an_explicit_null_removes_the_headshot():
    member = ada()

    changed = member.apply(MemberChanges(headshot_url=None))

    assert changed == ["headshot_url"]
    assert member.headshot_url is None


def test_removing_a_headshot_that_is_not_there_is_not_a_change():
    member = ada(headshot_url=None)
    assert member.apply(MemberChanges(headshot_url=None)) == []


def test_an_explicit_null_elsewhere_means_unchanged():
    member = ada()

    changed = member.apply(MemberChanges(headline=None, name=None, skills=None))

    assert changed == []
    assert member.headline == "Analyst"
    assert member.name == "Ada Lovelace"
    assert member.skills == ["maths"]


def test_a_new_headshot_url_is_stored_as_a_string():
    member = ada(headshot_url=None)

    changed = member.apply(MemberChanges(headshot_url="https://example.com/new.png"))

    assert changed == ["headshot_url"]
    assert member.headshot_url == "https://example.com/new.png"


def test_emptying_a_list_is_a_change():
    member = ada()
    assert member.apply(MemberChanges(skills=[])) == ["skills"]
    assert member.skills == []


# --- ensure_unique -------------------------------------------------------------------------


def test_a_handle_owned_by_another_member_is_a_conflict_on_handle():
    with pytest.raises(Conflict) as error:
        ensure_unique(handle_owner="m-other", email_owner=None, member_id="m-ada")
    assert error.value.field == "handle"


def test_an_email_owned_by_another_member_is_a_conflict_on_email():
    with pytest.raises(Conflict) as error:
        ensure_unique(handle_owner=None, email_owner="m-other", member_id="m-ada")
    assert error.value.field == "email"


def test_a_handle_and_email_owned_by_the_same_member_pass():
    ensure_unique(handle_owner="m-ada", email_owner="m-ada", member_id="m-ada")


def test_a_handle_and_email_nobody_owns_pass():
    ensure_unique(handle_owner=None, email_owner=None, member_id="m-ada")


def test_a_mix_of_own_handle_and_another_members_email_is_a_conflict_on_email():
    with pytest.raises(Conflict) as error:
        ensure_unique(handle_owner="m-ada", email_owner="m-other", member_id="m-ada")
    assert error.value.field == "email"
