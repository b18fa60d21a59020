"""Signing in and out through the real flow: the web, the development issuer's sign-in page,
the code exchange with PKCE, the first-time registration."""

from __future__ import annotations

from playwright.sync_api import expect


def test_a_new_member_signs_in_registers_and_signs_out(page_as, system, axe, shot):
    page = page_as("nia")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Home")
    expect(page.get_by_text("Signed in as")).to_contain_text("nia")
    assert axe(page) == []
    shot(page, "signin-home-nia")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out")
    page.goto(f"{system.base_url}/relationships")
    assert "/signin?next=/relationships" in page.url
    assert axe(page) == []
