"""Listing and writing a learner's drafts with 1,000,000 drafts in the table, against the floor.

    .venv/bin/python -m benchmarks.bench_drafts

Its own SQLite database under var/bench-drafts/ (LP_VAR_DIR, set before Django starts):
100,000 learners with 10 drafts each, plus one learner with 1,000, bulk-inserted with
executemany in batches of 10,000, and the content/ pages (so anchors resolve through the real
resolvers). The table is built once and reused by later runs (delete var/bench-drafts/ to
build it again); the build time is stored and printed either way. Drafts a run writes are
deleted at its end; a table found with other rows (a run stopped half-way) is rebuilt, every
row that points at a benchmark learner going first.

Measured in one run, round-robin in interleaved rounds (benchmarks.harness) so drift hits
every side alike:
- the floor: a trivial JSON endpoint (a DRF view with the same token authentication and
  IsAuthenticated permission, returning a constant), mounted by a urlconf override, for GET
  and for a JSON POST;
- ``GET /api/v1/research-room/drafts/`` for random learners (10 drafts each), and for the
  learner with 1,000 drafts (the first page of 20);
- draft writes: ``POST`` a draft anchored to ``equation:alignment/rlhf#reward-gap`` (evidence
  prefilled from its concept) and ``PATCH`` one re-anchoring it to ``concept:alignment/rlhf``.
Printed: requests per second of each, median (min–max) of the rounds, the ratio to the floor
taken within each round (reads over the GET floor, writes over the POST floor), the queries
per request, and SQLite's plan for the list query.

Environment: BENCH_ROUNDS (default 7), BENCH_SECONDS (per endpoint per round, default 0.7),
BENCH_WRITE_TARGET (the write / floor ratio to meet, default 0.25).
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import secrets
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Its own database, whatever the shell exports: set before Django reads its settings.
os.environ["LP_VAR_DIR"] = "var/bench-drafts"
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learning_platform.settings")
# Production-like request handling: no debug query log, no debug pages.
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
# With DEBUG off the settings want a review signing key; nothing here signs anything.
os.environ.setdefault("REVIEW_SIGNING_KEY", base64.b64encode(secrets.token_bytes(32)).decode())

import django

django.setup()

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import include, path
from knox.models import AuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle as ThrottleRates
from rest_framework.views import APIView

from benchmarks import harness
from concepts.models import Concept
from research_room.models import ResearchDraft

COMMAND = ".venv/bin/python -m benchmarks.bench_drafts"
SEED = 20260507
LEARNERS = 100_000
DRAFTS_EACH = 10
HEAVY_DRAFTS = 1_000
BATCH = 10_000
TOTAL = LEARNERS * DRAFTS_EACH + HEAVY_DRAFTS
ROUNDS = int(os.environ.get("BENCH_ROUNDS", harness.ROUNDS))
SECONDS = float(os.environ.get("BENCH_SECONDS", harness.SECONDS))
WRITE_TARGET = float(os.environ.get("BENCH_WRITE_TARGET", 0.25))
WRITE_ANCHOR = "equation:alignment/rlhf#reward-gap"
REANCHOR = "concept:alignment/rlhf"
WRITE_QUESTION = "Bench write: why does a larger β keep π* closer to π_ref?"
SAMPLE_LEARNERS = 500
LIST_URL = "/api/v1/research-room/drafts/"
FLOOR_URL = "/bench/floor/"
BUILD_RECORD = Path(settings.VAR_DIR) / "build.json"
USER_PREFIX = "bench-learner-"
HEAVY_USERNAME = "bench-heavy-learner"


class FloorApi(APIView):
    """The cheapest authenticated DRF endpoint: what every API request pays at least."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True, "echo": request.data})


class BenchUrls:
    urlpatterns = [
        path("bench/floor/", FloorApi.as_view()),
        path("", include("learning_platform.urls")),
    ]


# Build ----------------------------------------------------------------------------------------


def _sqlite_time(moment: datetime) -> str:
    """Django's SQLite storage for an aware datetime: naive UTC text."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _insert_users(cursor, usernames: list[str], joined: str) -> None:
    sql = (
        "INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, "
        "last_name, email, is_staff, is_active, date_joined) "
        "VALUES (%s, NULL, 0, %s, '', '', '', 0, 1, %s)"
    )
    for start in range(0, len(usernames), BATCH):
        rows = [("!", name, joined) for name in usernames[start : start + BATCH]]
        cursor.executemany(sql, rows)


def _draft_rows(owner_ids: list[int], each: int, rng: random.Random, base: datetime):
    evidence = json.dumps(
        ["Source ids to inspect: christiano-2017-human-preferences, ouyang-2022-instructgpt"]
    )
    resolution = json.dumps(["The learner can state the mechanism in their own words"])
    anchors = [
        ("concept:alignment/rlhf", "concept", "/api/v1/concepts/alignment/rlhf/"),
        ("equation:alignment/rlhf#reward-gap", "equation", "/api/v1/concepts/alignment/rlhf/"),
        ("source:ouyang-2022-instructgpt", "source", "/api/v1/sources/ouyang-2022-instructgpt/"),
    ]
    for owner_id in owner_ids:
        for n in range(each):
            key, kind, url = anchors[n % len(anchors)]
            created = base + timedelta(seconds=rng.randrange(86_400 * 365))
            updated = created + timedelta(seconds=rng.randrange(86_400 * 30))
            yield (
                uuid.UUID(int=rng.getrandbits(128), version=4).hex,
                owner_id,
                key,
                kind,
                "" if kind == "source" else "concept:alignment/rlhf",
                "RLHF: Reward Modeling + KL-Regularized Policy Optimization",
                url,
                "0" * 64,
                "",
                f"Question {n}: why does a larger β keep π* closer to π_ref?",
                "A short note.",
                "",
                evidence,
                resolution,
                "resolved" if n % 4 == 0 else "open",
                "",
                _sqlite_time(created),
                _sqlite_time(updated),
            )


def _insert_drafts(cursor, rows) -> int:
    sql = (
        "INSERT INTO research_room_researchdraft (id, owner_id, anchor_key, anchor_kind, "
        "anchor_concept_key, anchor_title, anchor_url, anchor_version, anchor_revision, "
        "question, note, next_action, evidence, resolution, status, imported_from, "
        "created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    inserted, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            cursor.executemany(sql, batch)
            inserted += len(batch)
            batch = []
    if batch:
        cursor.executemany(sql, batch)
        inserted += len(batch)
    return inserted


def _bench_user_ids_sql() -> tuple[str, list[str]]:
    return (
        "SELECT id FROM auth_user WHERE username LIKE %s OR username = %s",
        [f"{USER_PREFIX}%", HEAVY_USERNAME],
    )


def _user_dependants() -> list[tuple[str, str, bool]]:
    """(table, column, nullable) of every column that points at auth_user: reverse foreign
    keys (drafts, tokens, practice rows, demo runs, ...) and many-to-many tables."""
    user_model = get_user_model()
    found = []
    for relation in user_model._meta.related_objects:
        if relation.many_to_many:
            through = relation.through._meta
            found.append((through.db_table, relation.field.m2m_reverse_name(), False))
        elif relation.related_model._meta.managed:
            found.append(
                (
                    relation.related_model._meta.db_table,
                    relation.field.column,
                    bool(relation.field.null),
                )
            )
    for field in user_model._meta.many_to_many:
        through = field.remote_field.through._meta
        found.append((through.db_table, field.m2m_column_name(), False))
    return found


def _delete_bench_users(cursor) -> None:
    """Remove the benchmark learners and every row that points at them, whatever was added
    since the table was built (tokens, drafts, progress...): SQLite enforces the foreign keys,
    so the users cannot simply go first."""
    users_sql, params = _bench_user_ids_sql()
    cursor.execute("DELETE FROM research_room_researchdraft")
    for table, column, nullable in _user_dependants():
        if table == "research_room_researchdraft":
            continue
        quoted_table, quoted = connection.ops.quote_name(table), connection.ops.quote_name(column)
        if nullable:
            cursor.execute(
                f"UPDATE {quoted_table} SET {quoted} = NULL WHERE {quoted} IN ({users_sql})",
                params,
            )
        else:
            cursor.execute(f"DELETE FROM {quoted_table} WHERE {quoted} IN ({users_sql})", params)
    cursor.execute(
        "DELETE FROM auth_user WHERE username LIKE %s OR username = %s",
        [f"{USER_PREFIX}%", HEAVY_USERNAME],
    )


def _delete_writes() -> int:
    """The drafts earlier measurements wrote (each run deletes its own at the end)."""
    deleted, _ = ResearchDraft.objects.filter(question=WRITE_QUESTION).delete()
    return deleted


def _load_content() -> None:
    """The content/ pages: the anchors the write benchmark uses must resolve."""
    if Concept.objects.filter(area="alignment", slug="rlhf").exists():
        return
    content = str(Path(settings.BASE_DIR) / "content")
    call_command("load_content", content, verbosity=0, stdout=io.StringIO())


def build() -> dict:
    """Migrate, load the pages, and fill the table unless a previous run already did."""
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    _load_content()
    migrate_s = time.perf_counter() - started
    _delete_writes()
    if BUILD_RECORD.exists() and ResearchDraft.objects.count() == TOTAL:
        record = json.loads(BUILD_RECORD.read_text())
        record["reused"] = True
        return record

    rng = random.Random(SEED)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    joined = _sqlite_time(base)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
    with transaction.atomic(), connection.cursor() as cursor:
        _delete_bench_users(cursor)
        names = [f"{USER_PREFIX}{i:06d}" for i in range(LEARNERS)]
        _insert_users(cursor, [*names, HEAVY_USERNAME], joined)
        users_s = time.perf_counter() - started
        cursor.execute(
            "SELECT id FROM auth_user WHERE username LIKE %s ORDER BY id", [f"{USER_PREFIX}%"]
        )
        owner_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM auth_user WHERE username = %s", [HEAVY_USERNAME])
        heavy_id = cursor.fetchone()[0]
        rows = _draft_rows(owner_ids, DRAFTS_EACH, rng, base)
        total = len(owner_ids) * DRAFTS_EACH
        inserted = _insert_drafts(cursor, harness.building(rows, desc="Drafts", total=total))
        inserted += _insert_drafts(cursor, _draft_rows([heavy_id], HEAVY_DRAFTS, rng, base))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("PRAGMA synchronous=NORMAL")
    build_s = time.perf_counter() - started
    record = {
        "drafts": inserted,
        "learners": LEARNERS + 1,
        "users_s": round(users_s, 2),
        "build_s": round(build_s, 2),
        "migrate_s": round(migrate_s, 2),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reused": False,
    }
    BUILD_RECORD.write_text(json.dumps(record))
    return record


# Measure --------------------------------------------------------------------------------------


def _tokens(user_ids: list[int]) -> dict[int, str]:
    """A fresh token per user (only digests are stored, so earlier ones cannot be read back)."""
    users = get_user_model().objects.in_bulk(user_ids)
    return {uid: AuthToken.objects.create(user=users[uid])[1] for uid in user_ids}


def _cycling(client: Client, method: str, headers: list[dict], expect: int, body=None, url=None):
    """One request per call, each as the next learner in turn; `url`/`body` may be callables
    of the learner's index."""
    state = {"i": 0}

    def call():
        i = state["i"] = state["i"] + 1
        target = url(i) if callable(url) else url
        data = body(i) if callable(body) else body
        kwargs = {"content_type": "application/json", "data": json.dumps(data)} if data else {}
        response = getattr(client, method)(
            target, secure=True, **kwargs, **headers[i % len(headers)]
        )
        if response.status_code != expect:
            raise SystemExit(
                f"{method.upper()} {target} answered {response.status_code}: "
                f"{response.content[:300]!r}"
            )
        return response

    return call


def _queries(call) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    return len(captured), response


def _plan(owner_id: int) -> str:
    queryset = ResearchDraft.objects.filter(owner_id=owner_id).order_by("-updated_at", "-id")[:20]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "; ".join(str(row[-1]) for row in cursor.fetchall())


def measure() -> dict:
    rng = random.Random(SEED + 1)
    learner_ids = list(
        ResearchDraft.objects.filter(owner__username__startswith=USER_PREFIX)
        .values_list("owner_id", flat=True)
        .distinct()
        .order_by("owner_id")[:LEARNERS]
    )
    sample = rng.sample(learner_ids, min(SAMPLE_LEARNERS, len(learner_ids)))
    heavy_id = ResearchDraft.objects.filter(owner__username=HEAVY_USERNAME).values_list(
        "owner_id", flat=True
    )[0]
    tokens = _tokens([*sample, heavy_id])
    headers = [{"HTTP_AUTHORIZATION": f"Token {tokens[uid]}"} for uid in sample]
    heavy = [{"HTTP_AUTHORIZATION": f"Token {tokens[heavy_id]}"}]
    client = Client()
    ThrottleRates.THROTTLE_RATES["learner-writes"] = "1000000000/min"

    with override_settings(ROOT_URLCONF=BenchUrls):
        # One draft per sampled learner to re-anchor: the PATCH rewrites it again and again.
        create = _cycling(
            client,
            "post",
            headers,
            201,
            body={"anchor": WRITE_ANCHOR, "question": WRITE_QUESTION},
            url=LIST_URL,
        )
        own = [create().json()["id"] for _ in headers]  # learner i+1 writes own[i]
        endpoints = {
            "floor": _cycling(client, "get", headers, 200, url=FLOOR_URL),
            "floor_post": _cycling(client, "post", headers, 200, body={"a": 1}, url=FLOOR_URL),
            "list": _cycling(client, "get", headers, 200, url=LIST_URL),
            "heavy": _cycling(client, "get", heavy, 200, url=LIST_URL),
            "create": create,
            "update": _cycling(
                client,
                "patch",
                headers,
                200,
                body={"anchor": REANCHOR, "note": "Re-anchored by the benchmark."},
                url=lambda i: f"{LIST_URL}{own[(i - 1) % len(own)]}/",
            ),
        }
        rates = harness.interleaved(client, endpoints, ROUNDS, SECONDS, warmup=50)
        queries = {name: _queries(call) for name, call in endpoints.items()}
    reads = harness.ratios(rates, "floor")
    writes = harness.ratios(rates, "floor_post")
    written = _delete_writes()
    AuthToken.objects.filter(user_id__in=[*sample, heavy_id]).delete()
    return {
        "rates": rates,
        "vs_floor": {
            **reads,
            "create": writes["create"],
            "update": writes["update"],
        },
        "queries": {name: count for name, (count, _) in queries.items()},
        "light_rows": len(queries["list"][1].json()["results"]),
        "heavy_rows": len(queries["heavy"][1].json()["results"]),
        "written": written,
        "plan": _plan(sample[0]),
    }


ROWS = (
    ("floor", "floor (trivial authenticated JSON GET)"),
    ("floor_post", "floor (trivial authenticated JSON POST)"),
    ("list", "list, learner with 10 drafts"),
    ("heavy", "list, learner with 1,000 drafts (page)"),
    ("create", f"create a draft on {WRITE_ANCHOR}"),
    ("update", f"re-anchor a draft to {REANCHOR}"),
)


def main() -> int:
    print(f"$ {COMMAND}")
    print(f"database: {settings.DATABASES['default']['NAME']}")
    record = build()
    if record["reused"]:
        print(
            f"table: reused ({record['drafts']:,} drafts, {record['learners']:,} learners), "
            f"built on {record['built_at']} in {record['build_s']:.1f} s"
        )
    else:
        print(
            f"table: built {record['drafts']:,} drafts for {record['learners']:,} learners in "
            f"{record['build_s']:.1f} s (users {record['users_s']:.1f} s; migrate and pages "
            f"{record['migrate_s']:.1f} s before that)"
        )
    result = measure()
    rates, vs_floor, queries = result["rates"], result["vs_floor"], result["queries"]
    print(
        f"{ROUNDS} interleaved rounds x {SECONDS:g} s per endpoint; median (min–max) of the "
        "rounds; ratios taken within each round (reads over the GET floor, writes over the "
        "POST floor)"
    )
    print(f"{'endpoint':<52} {'req/s':>20} {'vs floor':>22} {'queries':>8}")
    for name, label in ROWS:
        print(
            f"{label:<52} {rates[name].format('.0f'):>20} "
            f"{vs_floor[name].format('.2f'):>22} {queries[name]:>8}"
        )
    print(
        f"rows: {result['light_rows']} and {result['heavy_rows']}; "
        f"drafts written and deleted again: {result['written']:,}"
    )
    print(f"query plan: {result['plan']}")
    ok = queries["list"] == queries["heavy"] and "draft_owner_updated" in result["plan"]
    print("constant queries and index use: " + ("yes" if ok else "NO"))
    write_ratio = min(vs_floor["create"].median, vs_floor["update"].median)
    met = write_ratio >= WRITE_TARGET
    print(
        f"target: draft writes / floor >= {WRITE_TARGET:g}: "
        + ("met" if met else "MISSED")
        + f" ({write_ratio:.2f})"
    )
    return 0 if ok and met else 1


if __name__ == "__main__":
    sys.exit(main())
