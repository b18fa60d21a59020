"""The web inside the gateway: pages need a session, forms a CSRF token, the API keeps its
own answers and its document has no web route."""

from __future__ import annotations

import re
import time
from dataclasses import asdict

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from services.web.session import COOKIE, Session
from services.web.templating import percent, when
from tests.support import test_settings


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    settings = test_settings("nats://127.0.0.1:1").model_copy(
        update={"data_dir": tmp_path_factory.mktemp("var")}
    )
    return create_app(settings)


@pytest.fixture
def http(app) -> TestClient:
    return TestClient(app, follow_redirects=False)


def signed_in(app, http: TestClient) -> Session:
    session = Session(
        token="not-a-real-token",
        subject="ana",
        roles=("member",),
        member_id="0d6f6a8e-3c9b-4a43-a4f6-0d1f2b3c4d5e",
        handle="ana",
        csrf="the-csrf-token",
        expires=time.time() + 600,
    )
    value = app.state.web.codec.seal(asdict(session) | {"roles": ["member"]})
    http.cookies.set(COOKIE, value)
    return session


def test_the_api_document_has_no_web_route(app):
    paths = app.openapi()["paths"]
    assert all(p.startswith("/v1/") or p in ("/healthz", "/readyz") for p in paths)


def test_a_page_without_a_session_sends_the_browser_to_sign_in_and_back(http):
    answer = http.get("/relationships?status=fading")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/relationships%3Fstatus%3Dfading"


def test_an_htmx_request_without_a_session_is_told_where_to_go(http):
    answer = http.get("/people", headers={"HX-Request": "true"})
    assert answer.headers["HX-Redirect"].startswith("/signin?next=/people")


def test_the_sign_in_page_is_a_page(http):
    page = http.get("/signin?next=/people")
    assert page.status_code == 200
    assert 'name="next" value="/people"' in page.text
    assert "text/html" in page.headers["content-type"]


def test_a_form_without_the_csrf_token_is_refused(app, http):
    signed_in(app, http)
    refused = http.post("/profile", data={"name": "Ana"})
    assert refused.status_code == 403
    assert "did not come from this site" in refused.text
    refused = http.post("/profile", data={"name": "Ana", "csrf": "a-guess"})
    assert refused.status_code == 403


def test_sign_out_needs_the_token_and_clears_the_cookie(app, http):
    session = signed_in(app, http)
    answer = http.post("/signout", data={"csrf": session.csrf})
    assert answer.status_code == 303
    assert f"{COOKIE}=" in answer.headers["set-cookie"]
    assert "Max-Age=0" in answer.headers["set-cookie"] or "expires=" in answer.headers["set-cookie"]


def test_the_session_cookie_is_httponly_and_samesite_lax(app, http):
    session = signed_in(app, http)
    answer = http.post("/signout", data={"csrf": session.csrf})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_an_unknown_page_is_the_404_page_and_an_unknown_api_path_a_problem(http):
    page = http.get("/nothing-here")
    assert page.status_code == 404 and "<h1>Not found</h1>" in page.text
    problem = http.get("/v1/nothing-here")
    assert problem.status_code == 404
    assert problem.headers["content-type"] == "application/problem+json"


def test_forms_post_urlencoded_bodies_past_the_apis_json_checks(http):
    answer = http.post("/people/x/connect", data={"csrf": "x"})
    assert answer.status_code != 415


def test_the_filters_say_times_and_shares_in_words():
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 10, tzinfo=UTC)
    assert when(now + timedelta(days=10, hours=1), now) == "in 10 days"
    assert when((now - timedelta(hours=3)).isoformat(), now) == "3 hours ago"
    assert when(None) == ""
    assert percent(0.423) == "42%"
    assert percent(None) == "-"


def test_no_page_is_named_as_an_api_route(app):
    """request.url_for(name) finds the first route of that name: a page named like an API
    route (`log_meeting`, `relationships`) would link to the API."""
    from services.gateway.access import access_of, api_routes
    from services.web.app import PAGE

    pages = {r.name for r in api_routes(app) if access_of(r) is PAGE}
    api = {r.name for r in api_routes(app) if access_of(r) is not PAGE}
    assert pages & api == set()


def test_the_sign_in_page_sends_someone_signed_in_on(app, http):
    signed_in(app, http)
    answer = http.get("/signin?next=/people")
    assert (answer.status_code, answer.headers["location"]) == (303, "/people")


def test_pages_name_static_files_by_their_content_and_browsers_keep_them(app, http):
    page = http.get("/signin")
    linked = re.search(r'href="(/static/rapport\.css\?v=[0-9a-f]{12})"', page.text)
    assert linked is not None
    answer = http.get(linked.group(1))
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_templates_are_compiled_once_unless_reloading_is_asked_for(app):
    from services.web.templating import environment

    assert environment.auto_reload is False
