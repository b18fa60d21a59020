"""The development issuer's authorization code flow (with PKCE), what a provider offers a web
app: `/authorize` is the development sign-in page, where a developer picks a handle, a role
and a team; the code it hands back is exchanged at `/token` for an access token like the
ones `make token` prints.

Codes live in memory (the issuer is one process on loopback), once, for CODE_SECONDS, bound
to the client, the redirect URI and the S256 challenge of the PKCE verifier.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

CODE_SECONDS = 60.0
ROLES = ("member", "analyst", "operator")


@dataclass(frozen=True)
class Grant:
    handle: str
    roles: list[str]
    team: str | None
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    expires: float


class Codes:
    def __init__(self) -> None:
        self._grants: dict[str, Grant] = {}

    def issue(self, grant: Grant) -> str:
        now = time.monotonic()
        self._grants = {c: g for c, g in self._grants.items() if g.expires > now}
        code = secrets.token_urlsafe(32)
        self._grants[code] = grant
        return code

    def redeem(self, code: str) -> Grant | None:
        grant = self._grants.pop(code, None)  # once only
        return grant if grant is not None and grant.expires > time.monotonic() else None


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


AUTHORIZE_PARAMETERS = (
    "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
    "code_challenge_method", "nonce",
)  # fmt: skip


def request_problem(params: dict[str, str]) -> str | None:
    """Why an authorization request cannot be answered, if it cannot."""
    if params.get("response_type") != "code":
        return "response_type must be code"
    if not params.get("client_id"):
        return "client_id is missing"
    if not params.get("redirect_uri", "").startswith(("http://", "https://")):
        return "redirect_uri must be an http(s) URL"
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        return "PKCE is required: code_challenge with code_challenge_method S256"
    return None


def page(params: dict[str, str], fields: dict[str, str], errors: dict[str, str]) -> HTMLResponse:
    """The development sign-in page: pick a handle, a role and a team."""
    e = html.escape
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{e(params.get(name, ""))}">'
        for name in AUTHORIZE_PARAMETERS
    )
    role = fields.get("role", "member")
    options = "".join(
        f'<option value="{r}"{" selected" if r == role else ""}>{r}</option>' for r in ROLES
    )

    def error(name: str) -> str:
        message = errors.get(name)
        return f'<span class="error" id="{name}-error">{e(message)}</span>' if message else ""

    def invalid(name: str) -> str:
        return f' aria-invalid="true" aria-describedby="{name}-error"' if name in errors else ""

    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Development sign-in · Rapport</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; color: #1b1f24; line-height: 1.5; }}
main {{ max-width: 30rem; margin: 2rem auto; padding: 0 1rem; }}
label {{ display: block; font-weight: 600; margin-top: 1rem; }}
input, select {{ font: inherit; width: 100%; padding: 0.45rem; border: 1px solid #6b7785; }}
button {{ font: inherit; margin-top: 1.25rem; padding: 0.5rem 1rem; background: #0b5cad;
  color: #fff; border: none; border-radius: 4px; }}
.note {{ background: #fff4d6; border-left: 4px solid #8a4b00; padding: 0.5rem 0.75rem; }}
.error {{ color: #a4161a; font-weight: 600; display: block; }}
:focus-visible {{ outline: 3px solid #e8a200; outline-offset: 2px; }}
</style></head>
<body><main>
<h1>Development sign-in</h1>
<p class="note">This is the development issuer that <code>make run</code> starts: it signs
anyone in as anyone. An organisation's provider asks for a real account here.</p>
{f'<p class="error" role="alert">{e(errors["request"])}</p>' if "request" in errors else ""}
<form method="post" action="/authorize">
{hidden}
<label for="handle">Handle (the token's subject)</label>
<input id="handle" name="handle" value="{e(fields.get("handle", ""))}" required
 autocomplete="username"{invalid("handle")}>{error("handle")}
<label for="role">Role</label>
<select id="role" name="role">{options}</select>
<label for="team">Team (optional)</label>
<input id="team" name="team" value="{e(fields.get("team", ""))}"{invalid("team")}>{error("team")}
<button type="submit">Sign in</button>
</form>
</main></body></html>"""
    return HTMLResponse(body, status_code=400 if errors else 200)


async def authorize_form(request: Request) -> Response:
    params = {k: v for k, v in request.query_params.items() if k in AUTHORIZE_PARAMETERS}
    problem = request_problem(params)
    if problem:
        return page(params, {}, {"request": f"This sign-in request cannot be answered: {problem}."})
    return page(params, {}, {})


async def authorize(request: Request, codes: Codes, token_request: Any) -> Response:
    """The developer's choice: a code for the client, sent back to its redirect URI."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    params = {k: form.get(k, "") for k in AUTHORIZE_PARAMETERS}
    problem = request_problem(params)
    if problem:
        refused = f"This sign-in request cannot be answered: {problem}."
        return page(params, form, {"request": refused})
    role = form.get("role", "member")
    try:
        chosen = token_request(
            handle=form.get("handle", "").strip(),
            roles=[role],
            team=form.get("team", "").strip() or None,
        )
    except ValidationError as error:
        errors = {str(e["loc"][0]) if e["loc"] else "request": e["msg"] for e in error.errors()}
        if "roles" in errors:
            errors["request"] = f"role: {errors.pop('roles')}"
        return page(params, form, errors)
    grant = Grant(
        handle=chosen.handle,
        roles=list(chosen.roles),
        team=chosen.team,
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        challenge=params["code_challenge"],
        nonce=params.get("nonce") or None,
        expires=time.monotonic() + CODE_SECONDS,
    )
    answer = {"code": codes.issue(grant)} | ({"state": params["state"]} if params["state"] else {})
    separator = "&" if "?" in grant.redirect_uri else "?"
    return RedirectResponse(f"{grant.redirect_uri}{separator}{urlencode(answer)}", status_code=303)


def token_error(error: str, description: str) -> JSONResponse:
    """An OAuth 2.0 token error (RFC 6749 section 5.2)."""
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=400,
        headers={"Cache-Control": "no-store"},
    )


def redeem(form: dict[str, str], codes: Codes) -> Grant | JSONResponse:
    """The grant behind an authorization code, once its client, redirect URI and PKCE
    verifier match what the code was issued for."""
    if form.get("grant_type") != "authorization_code":
        return token_error("unsupported_grant_type", "only authorization_code is supported")
    grant = codes.redeem(form.get("code", ""))
    if grant is None:
        return token_error("invalid_grant", "unknown, used or expired code")
    if form.get("client_id") and form["client_id"] != grant.client_id:
        return token_error("invalid_grant", "the code was issued to another client")
    if form.get("redirect_uri", grant.redirect_uri) != grant.redirect_uri:
        return token_error("invalid_grant", "redirect_uri differs from the authorization's")
    verifier = form.get("code_verifier", "")
    if not verifier or not secrets.compare_digest(s256(verifier), grant.challenge):
        return token_error("invalid_grant", "the PKCE code_verifier does not match")
    return grant
