"""The secret that signs an audit log's Merkle root (HMAC-SHA256), kept outside the log.

Without a key, anyone who can edit the log can also recompute its hash chain and
root, so ``verify`` proves only that the log is internally consistent. With the
key, a root signature that matches proves the root was written by a holder of the
key. Where the key comes from, first match wins:

1. an explicit key file (``perfcore train --audit-key-file``, ``audit verify --key-file``);
2. ``PERFCORE_AUDIT_KEY``: the secret itself (at least 16 characters), e.g. a CI secret;
3. ``PERFCORE_AUDIT_KEY_FILE``: a key file;
4. ``$XDG_CONFIG_HOME/perfcore/audit.key`` (``~/.config/perfcore/audit.key``).

A writer creates a missing key file (32 random bytes, hex, mode 0600); a reader
never does. A key file that others can read or write is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from perfcore.errors import InputError

__all__ = ["ENV_KEY", "ENV_KEY_FILE", "AuditKey", "default_key_file", "load_key"]

ENV_KEY = "PERFCORE_AUDIT_KEY"
ENV_KEY_FILE = "PERFCORE_AUDIT_KEY_FILE"
_MIN_BYTES = 16
_MAX_BYTES = 4096


@dataclass(frozen=True)
class AuditKey:
    """An HMAC key and where it came from (the secret never appears in repr)."""

    secret: bytes = field(repr=False)
    source: str

    @property
    def key_id(self) -> str:
        """A short public fingerprint, so a mismatch can say 'signed with another key'."""
        return hashlib.sha256(b"perfcore.audit-key-id\x00" + self.secret).hexdigest()[:16]

    def sign(self, message: bytes) -> str:
        """Hex HMAC-SHA256 of ``message``."""
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def matches(self, message: bytes, signature: str) -> bool:
        """Whether ``signature`` is this key's HMAC of ``message`` (constant-time compare)."""
        return hmac.compare_digest(self.sign(message), signature)


def default_key_file(environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_CONFIG_HOME/perfcore/audit.key``, or under ``~/.config`` when that is unset."""
    config = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "perfcore" / "audit.key"


def load_key(
    key_file: Path | None = None, *, create: bool = False, environ: Mapping[str, str] = os.environ
) -> AuditKey | None:
    """The audit key (see the module docstring for the order); None when a reader finds none."""
    if key_file is not None:
        return _from_file(key_file, create=create)
    inline = environ.get(ENV_KEY)
    if inline:
        return AuditKey(_checked(inline.strip().encode(), f"${ENV_KEY}"), f"${ENV_KEY}")
    named = environ.get(ENV_KEY_FILE)
    if named:
        return _from_file(Path(named), create=create)
    default = default_key_file(environ)
    if create or default.exists():
        return _from_file(default, create=create)
    return None


def _checked(secret: bytes, source: str) -> bytes:
    if not _MIN_BYTES <= len(secret) <= _MAX_BYTES:
        raise InputError(
            f"audit key from {source} must be {_MIN_BYTES}-{_MAX_BYTES} bytes, not {len(secret)}"
        )
    return secret


def _from_file(path: Path, *, create: bool) -> AuditKey:
    if create and not path.exists():
        _create(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"audit key file {path} is not a regular file")
        if info.st_mode & 0o077:
            raise InputError(
                f"audit key file {path} is readable or writable by others "
                f"(mode {stat.S_IMODE(info.st_mode):o}); run chmod 600 on it"
            )
        with path.open("rb") as handle:
            secret = handle.read(_MAX_BYTES + 1).strip()
    except FileNotFoundError:
        raise InputError(f"audit key file {path}: no such file") from None
    except OSError as exc:
        raise InputError(f"audit key file {path}: cannot read it: {exc.strerror}") from None
    return AuditKey(_checked(secret, str(path)), str(path))


def _create(path: Path) -> None:
    """Write a fresh key to ``path`` unless one appears there first (mode 0600 throughout)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.new")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            # link() never replaces: when two writers race, both use the first key.
            with contextlib.suppress(FileExistsError):
                os.link(temp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
    except OSError as exc:
        raise InputError(
            f"cannot create audit key file {path}: {exc.strerror}; set {ENV_KEY} or pass a key file"
        ) from None
