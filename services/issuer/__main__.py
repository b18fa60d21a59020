"""python -m services.issuer [serve | rotate | token HANDLE [ROLE[,ROLE...]] [--team TEAM]]"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn
from pydantic import ValidationError

from shared.logging import configure_logging
from shared.settings import get_settings

from .app import LOOPBACK, Minter, TokenRequest, create_app

log = logging.getLogger("services.issuer")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.issuer", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve discovery, JWKS and tokens on loopback (default)")
    commands.add_parser("rotate", help="sign with a new key; the previous one stays published")
    token = commands.add_parser("token", help="print a development token")
    token.add_argument("handle")
    token.add_argument("roles", nargs="?", default="member", help="e.g. member or analyst,operator")
    token.add_argument("--team")
    arguments = parser.parse_args(argv)

    settings = get_settings()
    minter = Minter.from_settings(settings)
    if arguments.command == "rotate":
        print(f"signing with new key {minter.ring.rotate()}; the previous one stays published")
        return 0
    if arguments.command == "token":
        try:
            request = TokenRequest(
                handle=arguments.handle, roles=arguments.roles.split(","), team=arguments.team
            )
        except ValidationError as error:
            print(error, file=sys.stderr)
            return 2
        print(minter.mint(request.handle, request.roles, team=request.team))
        return 0

    configure_logging("issuer", level=settings.log.level, fmt=settings.log.format)
    kid = minter.ring.ensure()
    log.info("development issuer %s signing with key %s", minter.issuer, kid)
    uvicorn.run(
        create_app(minter),
        host=LOOPBACK,
        port=settings.issuer.port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.graceful_timeout),
    )
    return 0


sys.exit(main(sys.argv[1:]))
