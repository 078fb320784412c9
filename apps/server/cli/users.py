"""`python -m server create-user`: create a user (the first superuser, say) from a shell.

The password comes from `APP_NEW_USER_PASSWORD`, or is asked for twice without echo, or, with
`--generate-password`, is generated and printed once (what `make dev` does for its admin).
"""

import argparse
import asyncio
import getpass
import os
import secrets
import sys

from server.config import Settings
from server.core.errors import AppError
from server.core.logging import configure_logging
from server.core.security.passwords import Passwords
from server.core.security.scopes import ALL_SCOPES
from server.database import user_repository
from server.database.session import Database
from server.services.users import create_user


def _password(args: argparse.Namespace) -> str:
    if args.generate_password:
        # Lower, upper, digit and symbol classes are all but certain in 24 URL-safe characters;
        # the suffix makes them certain for any policy of up to four classes.
        return secrets.token_urlsafe(18) + "-aA1"
    from_env = os.environ.get("APP_NEW_USER_PASSWORD")
    if from_env:
        return from_env
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("the passwords differ")
    return first


async def create_user_from_cli(settings: Settings, args: argparse.Namespace) -> int:
    configure_logging(settings)
    try:
        async with Database.connect(settings) as database, database.session() as session:
            if args.if_no_users and await user_repository.count_users(session):
                sys.stdout.write("users exist; nothing to do\n")
                return 0
            password = _password(args)
            scopes = ALL_SCOPES if args.superuser else frozenset(args.scopes.split(",")) - {""}
            user = await create_user(
                session,
                Passwords(settings),
                settings,
                email=args.email,
                password=password,
                scopes=scopes,
                is_superuser=args.superuser,
            )
    except AppError as exc:
        sys.stderr.write(f"error: {exc.detail}\n")
        return 1
    sys.stdout.write(
        f"created {user.email} ({'superuser' if user.is_superuser else args.scopes})\n"
    )
    if args.generate_password:
        sys.stdout.write(f"password (shown once): {password}\n")
    return 0


def run_create_user(settings: Settings, args: argparse.Namespace) -> int:
    """The `create-user` command: its exit code."""
    return asyncio.run(create_user_from_cli(settings, args))
