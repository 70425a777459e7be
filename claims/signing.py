"""Signatures over the review trail, with an Ed25519 key the database never holds.

Every review is an entry of one registry-wide log, in the order reviews were appended. The
platform signs a statement per entry: the review's hash (which covers its claim, the reviewer's
immutable identity, the fingerprint reviewed, the concept revision seen and the previous review
of its claim), its position in the log, and the log's head after it, a running SHA-256 over
every review hash so far. Someone with write access to the database can compute hashes but not
signatures, so a forged, edited, moved or re-signed entry shows.

A checkpoint is a signed (size, head, time), in the spirit of Certificate Transparency's signed
tree heads: whoever keeps one can later check that the log still extends it, which is what shows
reviews cut from the end of the log.

A key id is the first 16 hex digits of the SHA-256 of the raw public key. Retired public keys
(``settings.REVIEW_SIGNING_RETIRED_KEYS``) keep verifying what they signed.
"""

import base64
import binascii
import contextlib
import datetime
import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .chain import canonical_json

ALGORITHM = "Ed25519"
REVIEW_STATEMENT = "learning-platform/review-log-entry/v1"
VERIFICATION_STATEMENT = "learning-platform/claim-verification/v1"
CHECKPOINT_STATEMENT = "learning-platform/review-checkpoint/v1"
# The head of the empty log; each appended review hash moves it on (log_head_next).
EMPTY_LOG_HEAD = hashlib.sha256(b"learning-platform/review-log/v1").hexdigest()


def log_head_next(head: str, review_hash: str) -> str:
    """The log's head once ``review_hash`` is appended to a log whose head is ``head``."""
    return hashlib.sha256(f"{head}\n{review_hash}".encode()).hexdigest()


def log_head_of(review_hashes) -> str:
    """The head of a log holding these review hashes, in order."""
    head = EMPTY_LOG_HEAD
    for review_hash in review_hashes:
        head = log_head_next(head, review_hash)
    return head


# Keys -----------------------------------------------------------------------------------------


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_key_bytes(key)).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    key: Ed25519PublicKey
    status: str  # "current" or "retired"

    @property
    def base64(self) -> str:
        return base64.b64encode(public_key_bytes(self.key)).decode()

    @property
    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()


def _decode_base64(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{where} is neither PEM nor base64: {exc}") from exc


def private_key_parse(text: str, where: str) -> Ed25519PrivateKey:
    """A private key from PEM (PKCS#8) or from base64 of its 32 raw bytes."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"{where} is not a readable PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured(f"{where} is not an Ed25519 key.")
        return key
    raw = _decode_base64(text, where)
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{where} must hold 32 bytes; it holds {len(raw)}.")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_parse(text: str, where: str) -> Ed25519PublicKey:
    raw = _decode_base64(text.strip(), where)
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{where} must hold a 32-byte public key; it holds {len(raw)}.")
    return Ed25519PublicKey.from_public_bytes(raw)


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _generated_once(path: Path) -> str:
    """The key in ``path``, generated there first if the file does not exist (mode 0600).

    The new key is written whole to a private temporary file and then linked into place, so
    processes starting together (web, worker, beat) all end up reading the one that won.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".review-signing-key-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(private_key_pem(Ed25519PrivateKey.generate()))
                file.flush()
                os.fsync(file.fileno())
            # Another process's key got there first: read that one.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text(encoding="ascii")


@lru_cache(maxsize=8)
def _signing_key(value: str, file: str, generate: bool) -> tuple[Ed25519PrivateKey, PublicKey]:
    if value:
        private = private_key_parse(value, "REVIEW_SIGNING_KEY")
    elif file:
        path = Path(file)
        if generate:
            text = _generated_once(path)
        else:
            try:
                text = path.read_text(encoding="ascii")
            except (OSError, UnicodeDecodeError) as exc:
                raise ImproperlyConfigured(f"REVIEW_SIGNING_KEY_FILE {file}: {exc}") from exc
        private = private_key_parse(text, f"REVIEW_SIGNING_KEY_FILE {file}")
    else:
        raise ImproperlyConfigured("Set REVIEW_SIGNING_KEY or REVIEW_SIGNING_KEY_FILE.")
    public = private.public_key()
    return private, PublicKey(key_id=key_id_of(public), key=public, status="current")


def _current() -> tuple[Ed25519PrivateKey, PublicKey]:
    return _signing_key(
        settings.REVIEW_SIGNING_KEY,
        settings.REVIEW_SIGNING_KEY_FILE,
        settings.REVIEW_SIGNING_KEY_GENERATE,
    )


@lru_cache(maxsize=8)
def _retired(values: tuple[str, ...]) -> tuple[PublicKey, ...]:
    keys = []
    for index, value in enumerate(values):
        key = public_key_parse(value, f"REVIEW_SIGNING_RETIRED_KEYS[{index}]")
        keys.append(PublicKey(key_id=key_id_of(key), key=key, status="retired"))
    return tuple(keys)


def current_key_id() -> str:
    return _current()[1].key_id


def public_keys() -> list[PublicKey]:
    """The signing key's public half first, then each retired key (a key listed twice once)."""
    current = _current()[1]
    keys = {current.key_id: current}
    for key in _retired(tuple(settings.REVIEW_SIGNING_RETIRED_KEYS)):
        keys.setdefault(key.key_id, key)
    return list(keys.values())


# Statements -----------------------------------------------------------------------------------


def review_statement(*, review_hash: str, log_index: int | None, log_head: str) -> dict[str, Any]:
    return {
        "type": REVIEW_STATEMENT,
        "hash": review_hash,
        "log_index": log_index,
        "log_head": log_head,
    }


def utc_iso(moment: datetime.datetime) -> str:
    """A time as signed statements write it: ISO 8601 in UTC, ``+00:00``."""
    return moment.astimezone(datetime.UTC).isoformat()


def verification_statement(verification, *, claim_key: str) -> dict[str, Any]:
    """What a witness verification's signature covers (not who ran it: accounts are renamed)."""
    return {
        "type": VERIFICATION_STATEMENT,
        "claim": claim_key,
        "outcome": verification.outcome,
        "invariant": verification.invariant,
        "result_hash": verification.result_hash,
        "witness_code_version": verification.witness_code_version,
        "fingerprint": verification.fingerprint,
        "verified_at": utc_iso(verification.verified_at),
    }


def checkpoint_statement(*, size: int, head: str, issued_at: str) -> dict[str, Any]:
    return {"type": CHECKPOINT_STATEMENT, "size": size, "head": head, "issued_at": issued_at}


class LogTampered(Exception):
    """The review log's newest entry is not one the platform signed: no checkpoint is issued."""


def sign(statement: dict[str, Any]) -> tuple[str, str]:
    """(key id, base64 signature) of the statement's canonical JSON with the signing key."""
    private, public = _current()
    return public.key_id, base64.b64encode(private.sign(canonical_json(statement))).decode()


def signature_problem(statement: dict[str, Any], *, key_id: str, signature: str) -> str | None:
    """None when a known key signed exactly this statement, else what is wrong."""
    if not signature:
        return "it carries no signature"
    key = next((key for key in public_keys() if key.key_id == key_id), None)
    if key is None:
        return (
            f"it is signed by key {key_id or '(none)'}, which is neither the platform's signing "
            "key nor a retired one"
        )
    try:
        key.key.verify(base64.b64decode(signature, validate=True), canonical_json(statement))
    except (binascii.Error, ValueError, InvalidSignature):
        return f"its signature does not verify under key {key_id}: the platform did not sign this"
    return None
