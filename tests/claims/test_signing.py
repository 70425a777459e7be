"""The signing key, its publication, checkpoints, and signing what the loader restores."""

import base64
import importlib
import json
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from claims import signing
from claims.chain import canonical_json
from claims.content import claims_export
from claims.models import ClaimReview, ReviewCheckpoint

from .factories import linked_claim, record_review

pytestmark = pytest.mark.django_db


def _raw(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.private_bytes_raw()).decode()


def test_a_key_is_generated_once_into_its_file_readable_by_its_owner_only(settings, tmp_path):
    """Without a key in the environment, the first use writes one (mode 0600) and every later
    use, in this process or another, reads the same one."""
    path = tmp_path / "var" / "review-signing-key.pem"
    settings.REVIEW_SIGNING_KEY = ""
    settings.REVIEW_SIGNING_KEY_FILE = str(path)
    settings.REVIEW_SIGNING_KEY_GENERATE = True
    key_id = signing.current_key_id()
    assert path.stat().st_mode & 0o777 == 0o600
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    signing._signing_key.cache_clear()
    assert signing.current_key_id() == key_id


def test_a_named_key_file_is_never_generated(settings, tmp_path):
    """REVIEW_SIGNING_KEY_FILE set by hand must exist: a missing file is a configuration
    error naming it, not a new key."""
    settings.REVIEW_SIGNING_KEY = ""
    settings.REVIEW_SIGNING_KEY_FILE = str(tmp_path / "missing.pem")
    settings.REVIEW_SIGNING_KEY_GENERATE = False
    with pytest.raises(ImproperlyConfigured, match=r"missing\.pem"):
        signing.current_key_id()
    assert not (tmp_path / "missing.pem").exists()


def test_pem_and_base64_name_the_same_key(settings):
    """A key given as PEM or as base64 of its 32 bytes has one key id: SHA-256 of the public
    key, 16 hex digits."""
    key = Ed25519PrivateKey.generate()
    settings.REVIEW_SIGNING_KEY = signing.private_key_pem(key).decode()
    from_pem = signing.current_key_id()
    settings.REVIEW_SIGNING_KEY = _raw(key)
    assert signing.current_key_id() == from_pem == signing.key_id_of(key.public_key())
    assert len(from_pem) == 16


@pytest.mark.parametrize("value", ["not a key", base64.b64encode(b"short").decode()])
def test_a_malformed_key_is_refused_naming_the_setting(settings, value):
    """A key that is neither PEM nor 32 bytes of base64 is refused, naming the variable."""
    settings.REVIEW_SIGNING_KEY = value
    with pytest.raises(ImproperlyConfigured, match="REVIEW_SIGNING_KEY"):
        signing.current_key_id()


def test_signing_keys_are_published_for_anyone_to_check_a_review(
    settings, reviewer, anon_client, django_assert_num_queries
):
    """GET /claims/signing-keys/ lists the current key then the retired ones, cacheable, with
    no database query; a review's signature verifies with the published key alone."""
    retired = Ed25519PrivateKey.generate().public_key()
    settings.REVIEW_SIGNING_RETIRED_KEYS = [base64.b64encode(retired.public_bytes_raw()).decode()]
    review = record_review(linked_claim(), reviewer)
    with django_assert_num_queries(0):
        response = anon_client.get("/api/v1/claims/signing-keys/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=3600"
    body = response.json()
    current, old = body["keys"]
    assert body["current_key_id"] == current["key_id"] == review.signing_key_id
    assert (current["status"], old["status"]) == ("current", "retired")
    assert old["key_id"] == signing.key_id_of(retired)
    assert current["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    published = Ed25519PublicKey.from_public_bytes(base64.b64decode(current["public_key"]))
    listed = anon_client.get(f"/api/v1/claims/{review.claim_id}/reviews/").json()["results"][0]
    statement = {
        "type": "learning-platform/review-log-entry/v1",
        "hash": listed["hash"],
        "log_index": listed["log_index"],
        "log_head": listed["log_head"],
    }
    published.verify(base64.b64decode(listed["signature"]), canonical_json(statement))


def test_the_checkpoint_endpoint_signs_the_current_log(
    reviewer, anon_client, django_assert_max_num_queries
):
    """GET /claims/checkpoint/ answers the log's size and head, signed, in one query, and
    records nothing; its JSON is what verify_reviews --against reads."""
    claim = linked_claim()
    reviews = [record_review(claim, reviewer) for _ in range(3)]
    with django_assert_max_num_queries(1):
        response = anon_client.get("/api/v1/claims/checkpoint/")
    assert response.status_code == 200
    body = response.json()
    assert body["size"] == 3
    assert body["head"] == signing.log_head_of(review.hash for review in reviews)
    assert body["key_id"] == signing.current_key_id()
    statement = {name: body[name] for name in ("type", "size", "head", "issued_at")}
    assert (
        signing.signature_problem(statement, key_id=body["key_id"], signature=body["signature"])
        is None
    )
    assert not ReviewCheckpoint.objects.exists()


def test_no_checkpoint_is_signed_over_a_forged_newest_entry(reviewer, anon_client, tamper, capsys):
    """When the newest log entry's signature fails, the endpoint answers 409 and the command
    fails, rather than signing a head the platform never wrote."""
    review = record_review(linked_claim(), reviewer)
    tamper("UPDATE claims_claimreview SET signature = '' WHERE id = %s", [review.pk])
    response = anon_client.get("/api/v1/claims/checkpoint/")
    assert response.status_code == 409
    assert "#1" in response.json()["detail"]
    with pytest.raises(CommandError, match="not one the platform signed"):
        call_command("review_checkpoint", stdout=StringIO())
    assert not ReviewCheckpoint.objects.exists()


def test_review_checkpoint_records_and_writes_what_it_prints(reviewer, tmp_path):
    """The command prints the checkpoint, writes it to --output and records it."""
    record_review(linked_claim(), reviewer)
    out, path = StringIO(), tmp_path / "checkpoint.json"
    call_command("review_checkpoint", output=str(path), stdout=out)
    printed = json.loads(out.getvalue())
    assert json.loads(path.read_text()) == printed
    stored = ReviewCheckpoint.objects.get()
    assert (stored.size, stored.head, stored.signature) == (
        1,
        printed["head"],
        printed["signature"],
    )


def test_restored_reviews_are_signed_by_the_loading_deployment(settings, tmp_path):
    """A content file's reviews carry no signature: the deployment that loads them checks
    their hashes and signs them with its own key, and the export is byte for byte the file."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REVIEW_SIGNING_KEY = _raw(Ed25519PrivateKey.generate())
    call_command("load_content", verbosity=0, stdout=StringIO())
    review = ClaimReview.objects.get()
    assert (review.log_index, review.signing_key_id) == (1, signing.current_key_id())
    call_command("verify_reviews", stdout=StringIO())
    claims_export(tmp_path / "out")
    name = Path("claims") / "alignment" / "rlhf.yaml"
    exported = (tmp_path / "out" / name).read_bytes()
    assert exported == (Path(settings.BASE_DIR) / "content" / name).read_bytes()
    assert b"signature" not in exported


def test_the_migration_signs_reviews_recorded_before_signatures(reviewer, tamper):
    """Reviews from before the log existed enter it in the order they were appended, signed."""
    claim = linked_claim()
    reviews = [record_review(claim, reviewer) for _ in range(2)]
    tamper(
        "UPDATE claims_claimreview SET log_index = NULL, log_head = '', signing_key_id = '', "
        "signature = ''"
    )
    name = "0007_sign_recorded_reviews"
    migration = importlib.import_module(f"claims.migrations.{name}")
    historical = MigrationExecutor(connection).loader.project_state(("claims", name)).apps
    # The function runs SQL through the editor only on PostgreSQL; SQLite's cannot open here.
    editor = SimpleNamespace(
        connection=connection, execute=lambda sql, params=None: connection.cursor().execute(sql)
    )
    migration.sign_recorded(historical, editor)
    signed = list(ClaimReview.objects.order_by("log_index"))
    assert [review.pk for review in signed] == [review.pk for review in reviews]
    assert [review.log_index for review in signed] == [1, 2]
    call_command("verify_reviews", stdout=StringIO())


def test_the_schema_documents_keys_and_checkpoints(anon_client):
    """Both routes are in the OpenAPI schema with their output shapes."""
    schema = anon_client.get("/api/schema/?format=json").json()
    assert "/api/v1/claims/signing-keys/" in schema["paths"]
    checkpoint = schema["paths"]["/api/v1/claims/checkpoint/"]["get"]["responses"]
    assert {"200", "409"} <= set(checkpoint)
