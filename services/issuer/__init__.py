"""The development issuer: an OpenID Connect provider on loopback for `make run` and tests.

It publishes a discovery document and a JWKS and signs tokens for any handle and role, so
that the gateway can be used with real bearer tokens and nothing configured. Its tokens
carry the development claim, which the gateway refuses outside development mode.
"""
