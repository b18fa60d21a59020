"""The development issuer's signing keys: RSA keys kept under <data_dir>/issuer/keys.

Each key is a PEM file named by its kid; the newest signs, and the one before it stays
published so that tokens it signed keep verifying after a rotation. Files are written
atomically and under a lock, since `make run`'s issuer and `make token` share them.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ALGORITHM = "RS256"
KEY_BITS = 2048
PUBLISHED = 2  # the signing key and the one it replaced


class KeyRing:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._loaded: dict[str, rsa.RSAPrivateKey] = {}  # key files never change once written

    def ensure(self) -> str:
        """The kid of the signing key, generating the first key if there is none."""
        with self._locked():
            kids = self._kids()
            return kids[-1] if kids else self._generate()

    def rotate(self) -> str:
        """Generate a new signing key; keep the previous one published, drop older ones."""
        with self._locked():
            kid = self._generate()
            for old in self._kids()[:-PUBLISHED]:
                (self.directory / f"{old}.pem").unlink(missing_ok=True)
            return kid

    def jwks(self) -> dict[str, Any]:
        """The public keys, as the JWKS document publishes them."""
        return {"keys": [self._public_jwk(kid) for kid in self._kids()]}

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        kid = kid or self.ensure()
        return jwt.encode(claims, self._private(kid), algorithm=ALGORITHM, headers={"kid": kid})

    def _kids(self) -> list[str]:
        # kids start with the creation time in milliseconds: sorted oldest first
        return sorted(p.stem for p in self.directory.glob("*.pem"))

    def _generate(self) -> str:
        # Later than every kid on disk even if the clock went back: the newest must sort last.
        newest = max((int(kid.split("-")[0]) for kid in self._kids()), default=0)
        kid = f"{max(time.time_ns() // 1_000_000, newest + 1):013d}-{secrets.token_hex(4)}"
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        partial = self.directory / f".{kid}.tmp"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        partial.rename(self.directory / f"{kid}.pem")
        self._loaded[kid] = key
        return kid

    def _private(self, kid: str) -> rsa.RSAPrivateKey:
        if kid not in self._loaded:
            pem = (self.directory / f"{kid}.pem").read_bytes()
            key = serialization.load_pem_private_key(pem, password=None)
            assert isinstance(key, rsa.RSAPrivateKey), f"{kid} is not an RSA key"
            self._loaded[kid] = key
        return self._loaded[kid]

    def _public_jwk(self, kid: str) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self._private(kid).public_key(), as_dict=True)
        return public | {"kid": kid, "use": "sig", "alg": ALGORITHM}

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
