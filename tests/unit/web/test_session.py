"""The web's session: an encrypted cookie, a key made once, redirects to this site only."""

from __future__ import annotations

import stat
import time

from services.web.session import SessionCodec, ensure_secret, safe_next


def test_a_sealed_session_opens_with_its_key_only():
    codec = SessionCodec("key-one")
    value = codec.seal({"token": "t", "member_id": "m"})
    assert "member_id" not in value  # encrypted, not only signed
    assert codec.open(value) == {"token": "t", "member_id": "m"}
    assert SessionCodec("key-two").open(value) is None
    assert codec.open(value[:-4] + "AAAA") is None
    assert codec.open(None) is None


def test_a_sealed_value_older_than_its_age_limit_does_not_open(monkeypatch):
    codec = SessionCodec("key")
    value = codec.seal({"a": 1})
    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)
    assert codec.open(value, max_age=600) is None


def test_the_session_key_is_made_once_readable_by_its_owner_only(tmp_path):
    first = ensure_secret(tmp_path / "secrets")
    assert len(first) >= 40
    assert ensure_secret(tmp_path / "secrets") == first
    mode = (tmp_path / "secrets" / "web-session.secret").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_after_sign_in_the_browser_goes_back_to_this_site_only():
    assert safe_next("/relationships?status=fading") == "/relationships?status=fading"
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example", "", None):
        assert safe_next(elsewhere) == "/"
