import hashlib

import pytest
from django.core.exceptions import ValidationError

from concepts.services import snapshot_store

from .factories import SourceFactory, SourceSnapshotFactory

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_latest_address_redirects_to_the_snapshots_hash_address(anon_client):
    """/snapshot/ is a redirect; the hash address serves bytes that hash to it."""
    source = SourceFactory(key="paper")
    snapshot = SourceSnapshotFactory(source=source, content=b"the first copy")
    response = anon_client.get("/api/v1/sources/paper/snapshot/")
    assert response.status_code == 302
    assert response["Location"] == f"/api/v1/sources/paper/snapshots/{snapshot.sha256}/"
    served = anon_client.get(response["Location"])
    assert hashlib.sha256(_body(served)).hexdigest() == snapshot.sha256
    assert "immutable" in served["Cache-Control"]


def test_a_superseded_snapshot_still_downloads_its_own_bytes(anon_client):
    """After a newer snapshot, every listed download URL serves bytes hashing to its sha256."""
    source = SourceFactory(key="paper")
    SourceSnapshotFactory(source=source, content=b"old bytes")
    SourceSnapshotFactory(source=source, content=b"new bytes")
    listed = anon_client.get("/api/v1/sources/paper/").json()["snapshots"]
    assert [row["state"] for row in listed] == ["Local snapshot ready", "superseded"]
    for row in listed:
        body = _body(anon_client.get(row["download_url"]))
        assert hashlib.sha256(body).hexdigest() == row["sha256"]
    assert anon_client.get(f"/api/v1/sources/paper/snapshots/{'0' * 64}/").status_code == 404


@pytest.mark.parametrize(
    "media_type",
    ["text/html", "image/svg+xml", "application/javascript", "application/xhtml+xml"],
)
def test_scriptable_snapshots_download_as_sandboxed_attachments(anon_client, media_type):
    """HTML, SVG and JavaScript never render in the site's origin."""
    source = SourceFactory(key="evil")
    snapshot, _ = snapshot_store(
        source=source,
        content=b"<script>alert(document.cookie)</script>",
        media_type=media_type,
        retrieved_on=source.created_at.date(),
    )
    response = anon_client.get(f"/api/v1/sources/evil/snapshots/{snapshot.sha256}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_plain_text_and_pdf_snapshots_open_inline_but_sandboxed(anon_client):
    """Types on the safe list are shown inline, still with nosniff and the sandbox."""
    source = SourceFactory(key="notes")
    snapshot = SourceSnapshotFactory(source=source, content=b"plain notes")
    response = anon_client.get(f"/api/v1/sources/notes/snapshots/{snapshot.sha256}/")
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"] == "sandbox"


def test_a_media_type_with_a_line_break_is_refused():
    """A type that would break every later download's headers is refused on store."""
    source = SourceFactory(key="broken")
    with pytest.raises(ValidationError) as caught:
        snapshot_store(
            source=source,
            content=b"x",
            media_type="text/plain\r\nX-Injected: 1",
            retrieved_on=source.created_at.date(),
        )
    assert "media_type" in caught.value.message_dict
