"""Typed readers for the ``TOUSU_*`` environment variables.

Every variable is documented once, in ``docs/configuration.md``. Secrets that are not
given are generated once into the data directory so that an embedded run needs no
setup; a production run gives them explicitly.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

PREFIX = "TOUSU_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(RuntimeError):
    """A configuration variable holds a value Tousu cannot use."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(PREFIX + name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(PREFIX + name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{PREFIX}{name}: expected true or false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}{name}: expected an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(PREFIX + name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def secret_from_env_or_file(name: str, path: Path, make: Callable[[], str]) -> str:
    """Return ``TOUSU_<name>`` or the secret stored at ``path``, creating it once."""
    given = os.environ.get(PREFIX + name)
    if given:
        return given
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = make()
    # O_EXCL: two processes starting at once must not write two different secrets.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value)
    return value


def new_django_secret() -> str:
    return secrets.token_urlsafe(50)


def new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


def private_file(path: Path) -> None:
    """Make ``path`` a file only its owner may read or write (0600), creating it empty
    when missing — e.g. the SQLite database before SQLite creates it with the umask's
    0644 (its -wal and -shm files take the database file's permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except PermissionError:  # not ours to change (a read-only deployment): leave it
        pass
