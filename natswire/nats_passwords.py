"""bcrypt hashes of the NATS users' passwords: what nats-server checks, so its config holds none.

deploy/nats/auth.conf reads each user's hash from ``<USER>_NATS_PASSWORD_HASH`` in the
server's environment; the processes send the password itself (``NATS_PASSWORD``). A
password may then hold any character: only its hash goes through the config parser.

Django-free: compose's ``nats-passwords`` job runs it in the image before NATS starts,

    python -m natswire.nats_passwords /run/nats-auth/hashes.env

reading every ``<USER>_NATS_PASSWORD`` and writing the hashes as a file ``sh`` can source.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import bcrypt

# The users of deploy/nats/auth.conf.
NATS_USERS = ("buildings", "workflows", "alarms", "generator", "admin")
# nats-server checks the hash on every connection (about 0.1 s of CPU at 11, as `nats server passwd`).
BCRYPT_COST = 11


def password_variable(user: str) -> str:
    """``buildings`` -> ``BUILDINGS_NATS_PASSWORD``, where compose's .env holds the password."""
    return f"{user.upper()}_NATS_PASSWORD"


def hash_variable(user: str) -> str:
    """``buildings`` -> ``BUILDINGS_NATS_PASSWORD_HASH``, the name auth.conf reads."""
    return f"{user.upper()}_NATS_PASSWORD_HASH"


def password_hash(password: str) -> str:
    """A new bcrypt hash of ``password`` (``$2b$11$...``)."""
    if not password:
        raise ValueError("an empty NATS password")
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()


def config_string(value: str) -> str:
    """``value`` as auth.conf's ``$VARIABLE`` reads back a string.

    nats-server parses a variable's value as config, so an unquoted ``$2b$11$...`` would be
    taken for a reference to another variable. A bcrypt hash holds only ``$./``, letters
    and digits, so quoting needs no escapes.
    """
    return f'"{value}"'


def server_env(passwords: Mapping[str, str]) -> dict[str, str]:
    """The nats-server environment for ``passwords`` (user -> password): hashes only."""
    return {hash_variable(user): config_string(password_hash(password)) for user, password in passwords.items()}


def env_file_text(variables: Mapping[str, str]) -> str:
    """``NAME='value'`` lines for ``sh``'s ``set -a; . file``: single quotes keep every ``$``."""
    return "".join(f"{name}='{value}'\n" for name, value in variables.items())


def main(argv: list[str]) -> int:
    """Hash every ``<USER>_NATS_PASSWORD`` of the environment into the file ``argv[0]``."""
    if len(argv) != 1:
        print("usage: python -m natswire.nats_passwords OUTPUT_FILE", file=sys.stderr)
        return 2
    missing = [password_variable(user) for user in NATS_USERS if not os.environ.get(password_variable(user))]
    if missing:
        print(f"set {', '.join(missing)} (every NATS user needs a password)", file=sys.stderr)
        return 1
    passwords = {user: os.environ[password_variable(user)] for user in NATS_USERS}
    output = Path(argv[0])
    output.write_text(env_file_text(server_env(passwords)))
    print(f"wrote the bcrypt hashes of {len(passwords)} NATS passwords to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
