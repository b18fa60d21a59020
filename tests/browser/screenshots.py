"""python -m tests.browser.screenshots: the README's pictures of the web app (docs/images/),
taken on a small seeded organisation with the browser tests' own tools."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.browser import tools
from tests.browser.conftest import DESKTOP, sign_in
from tests.e2e.system import System, wait_until

IMAGES = tools.ROOT / "docs" / "images"


def connect(system: System, a: str, b: str) -> None:
    request = system.as_id(a).post("/v1/connection-requests", json={"addressee_id": b})
    assert request.status_code == 201, request.text
    accepted = system.as_id(b).post(f"/v1/connection-requests/{request.json()['id']}/accept")
    assert accepted.status_code == 200, accepted.text


def meet(system: System, a: str, b: str, days_ago: float, minutes: int = 45) -> None:
    start = datetime.now(UTC) - timedelta(days=days_ago)
    meeting = {
        "participant_ids": [a, b],
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=minutes)).isoformat(),
    }
    answer = system.as_id(a).post("/v1/meetings", json=meeting)
    assert answer.status_code == 201, answer.text


def message(system: System, sender: str, recipient: str, body: str) -> None:
    answer = system.as_id(sender).post(
        "/v1/direct-messages", json={"recipient_id": recipient, "body": body}
    )
    assert answer.status_code == 201, answer.text


def seed(system: System) -> dict[str, str]:
    """ana: a close colleague (dan), one who writes more than she answers (ben), and one she
    used to meet every week and has not seen for six weeks (cai)."""
    ids = dict(
        zip(
            ("ana", "ben", "cai", "dan"), system.registered("ana", "ben", "cai", "dan"), strict=True
        )
    )
    for name, fields in {
        "ana": {"name": "Ana Lima", "headline": "Research analyst", "industry": "Software"},
        "ben": {"name": "Ben Okafor", "headline": "Data engineer"},
        "cai": {"name": "Cai Jensen", "headline": "Product designer"},
        "dan": {"name": "Dan Reyes", "headline": "Engineering manager"},
    }.items():
        assert system.as_id(ids[name]).patch(f"/v1/members/{ids[name]}", json=fields).is_success
    for other in ("ben", "dan"):  # cai: colleagues who meet, not (yet) connected here
        connect(system, ids["ana"], ids[other])
    for days in (62, 55, 48, 41):
        meet(system, ids["ana"], ids["cai"], days)
    for days in (20, 6):
        meet(system, ids["ana"], ids["dan"], days, minutes=60)
    message(system, ids["dan"], ids["ana"], "Thanks for today, the notes are in the doc.")
    message(system, ids["ana"], ids["dan"], "Great, see you Thursday!")
    for body in ("Did you see my pipeline post?", "Happy to pair on it.", "Any news?"):
        message(system, ids["ben"], ids["ana"], body)
    return ids


def until(page: Page, url: str, text: str, timeout: float = 60.0) -> None:
    def shown() -> bool:
        page.goto(url)
        return text in page.inner_text("main")

    wait_until(shown, timeout=timeout, interval=0.5)


def main() -> None:
    with tempfile.TemporaryDirectory() as root, ThreadPoolExecutor(1) as thread:
        system = thread.submit(System, Path(root), {}).result()
        try:
            system.start_all()
            seed(system)
            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path=tools.chromium(), args=tools.LAUNCH_ARGS
                )
                page = browser.new_context(viewport=DESKTOP).new_page()
                sign_in(page, system, "ana", "member", None)
                until(page, f"{system.base_url}/", "Reconnect with Cai")
                until(page, f"{system.base_url}/", "Give back to")
                IMAGES.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(IMAGES / "web-home.png"), full_page=True)
                until(page, f"{system.base_url}/relationships", "3 relationships")
                page.screenshot(path=str(IMAGES / "web-relationships.png"), full_page=True)
                browser.close()
        finally:
            system.shutdown()
    print(f"written {IMAGES / 'web-home.png'} and {IMAGES / 'web-relationships.png'}")


if __name__ == "__main__":
    main()
