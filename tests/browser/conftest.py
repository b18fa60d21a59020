"""Browser fixtures: the whole system running, Debian's chromium driven by Playwright, a
member signed in through the real sign-in flow (`page_as`), axe-core's check (`axe`) and
screenshots (`shot`, under test-artifacts/screenshots/)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.browser import tools
from tests.e2e.system import System

SCREENSHOTS = tools.ROOT / "test-artifacts" / "screenshots"
SERIOUS = ("serious", "critical")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def system(tmp_path_factory) -> Iterator[System]:
    """One running system (SQLite) per module of browser tests."""
    root = tmp_path_factory.mktemp("system")
    # System provisions with asyncio.run: not on the thread where Playwright's loop runs
    with ThreadPoolExecutor(1) as thread:
        running = thread.submit(System, root, {}).result()
    try:
        running.start_all()
        yield running
    finally:
        running.shutdown()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = tools.chromium()
    try:
        launched = playwright.chromium.launch(
            executable_path=executable, args=tools.LAUNCH_ARGS, headless=True
        )
    except Exception as error:  # the tests fail, never skip, without a browser
        pytest.fail(f"chromium ({executable}) could not be started: {error}")
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def axe_script() -> str:
    return tools.axe_source()


def sign_in(page: Page, system: System, handle: str, role: str, team: str | None) -> None:
    """The real flow: the web's sign-in page, the development issuer's page, the callback,
    and on first sign-in of a member the welcome form."""
    page.goto(f"{system.base_url}/signin?next=/")
    page.get_by_role("button", name="Sign in with your organisation").click()
    page.wait_for_url(re.compile(r"/authorize\?"))
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Role").select_option(role)
    if team:
        page.get_by_label("Team").fill(team)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^{re.escape(system.base_url)}/"))
    if "/welcome" in page.url and role == "member":
        page.get_by_label("Name").fill(handle.title())
        page.get_by_role("button", name="Join").click()
        page.wait_for_url(f"{system.base_url}/")


@pytest.fixture
def page_as(browser: Browser, system: System) -> Iterator[Callable[..., Page]]:
    """page_as("ana") -> a page of a new browser context signed in as ana (registered as a
    member on first sign-in); role="analyst" or "operator" for the people team; phone=True
    for a phone-sized screen, scripts=False for a browser without JavaScript."""
    contexts = []

    def open_as(
        handle: str,
        role: str = "member",
        *,
        team: str | None = None,
        phone: bool = False,
        scripts: bool = True,
    ) -> Page:
        context = browser.new_context(
            viewport=PHONE if phone else DESKTOP, java_script_enabled=scripts
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, system, handle, role, team)
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def axe(axe_script: str) -> Callable[[Page], list[dict]]:
    """axe(page) -> the serious and critical violations of the page as it is now."""

    def check(page: Page) -> list[dict]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=axe_script)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in result["violations"]
            if v["impact"] in SERIOUS
        ]

    return check


@pytest.fixture
def shot() -> Callable[[Page, str], Path]:
    """shot(page, "home-ana") saves a full-page screenshot and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


__all__ = ["expect"]
