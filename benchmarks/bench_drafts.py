"""Listing a learner's drafts with 1,000,000 drafts in the table, against the framework's floor.

    .venv/bin/python -m benchmarks.bench_drafts

Its own SQLite database under var/bench-drafts/ (LP_VAR_DIR, set before Django starts):
100,000 learners with 10 drafts each, plus one learner with 1,000, bulk-inserted with
executemany in batches of 10,000. The table is built once and reused by later runs (delete
var/bench-drafts/ to build it again); the build time is stored and printed either way.

Measured in one run, interleaved in rounds so drift hits both sides alike:
- the floor: a trivial JSON endpoint (a DRF view with the same token authentication and
  IsAuthenticated permission, returning a constant), mounted by a urlconf override;
- ``GET /api/v1/research-room/drafts/`` for random learners (10 drafts each), and for the
  learner with 1,000 drafts (the first page of 20).
Printed: requests per second of each, the ratio to the floor, the queries per list request
(the same for 10 and for 1,000 drafts), and SQLite's plan for the list query.

Environment: BENCH_REQUESTS (per side, default 2,000), BENCH_ROUNDS (default 5).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import statistics
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

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from knox.models import AuthToken  # noqa: E402
from rest_framework.permissions import IsAuthenticated  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from research_room.models import ResearchDraft  # noqa: E402

COMMAND = ".venv/bin/python -m benchmarks.bench_drafts"
SEED = 20260507
LEARNERS = 100_000
DRAFTS_EACH = 10
HEAVY_DRAFTS = 1_000
BATCH = 10_000
TOTAL = LEARNERS * DRAFTS_EACH + HEAVY_DRAFTS
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 2_000))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 5))
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


class BenchUrls:
    urlpatterns = [
        path("bench/floor/", FloorApi.as_view()),
        path("api/v1/research-room/", include("research_room.urls")),
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
        "anchor_concept_key, anchor_title, anchor_url, anchor_version, question, note, "
        "next_action, evidence, resolution, status, imported_from, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
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


def build() -> dict:
    """Migrate, and fill the table unless a previous run already did."""
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_s = time.perf_counter() - started
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
        cursor.execute("DELETE FROM research_room_researchdraft")
        cursor.execute(
            "DELETE FROM knox_authtoken WHERE user_id IN "
            "(SELECT id FROM auth_user WHERE username LIKE %s)",
            [f"{USER_PREFIX}%"],
        )
        cursor.execute("DELETE FROM auth_user WHERE username LIKE %s", [f"{USER_PREFIX}%"])
        cursor.execute("DELETE FROM auth_user WHERE username = %s", [HEAVY_USERNAME])
        names = [f"{USER_PREFIX}{i:06d}" for i in range(LEARNERS)]
        _insert_users(cursor, [*names, HEAVY_USERNAME], joined)
        users_s = time.perf_counter() - started
        cursor.execute(
            "SELECT id FROM auth_user WHERE username LIKE %s ORDER BY id", [f"{USER_PREFIX}%"]
        )
        owner_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM auth_user WHERE username = %s", [HEAVY_USERNAME])
        heavy_id = cursor.fetchone()[0]
        inserted = _insert_drafts(cursor, _draft_rows(owner_ids, DRAFTS_EACH, rng, base))
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


def _timed(client: Client, url: str, headers: list[dict], count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        response = client.get(url, secure=True, **headers[i % len(headers)])
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    return time.perf_counter() - started


def _queries(client: Client, url: str, header: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, secure=True, **header)
    return len(captured), len(response.json()["results"])


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

    with override_settings(ROOT_URLCONF=BenchUrls):
        for url, hdrs in ((FLOOR_URL, headers), (LIST_URL, headers), (LIST_URL, heavy)):
            _timed(client, url, hdrs, 50)  # warm-up: imports, resolver caches, SQLite pages
        light_queries, light_rows = _queries(client, LIST_URL, headers[0])
        heavy_queries, heavy_rows = _queries(client, LIST_URL, heavy[0])
        floor_queries = _queries_floor(client, headers[0])
        per_round = max(1, REQUESTS // ROUNDS)
        floor_s = light_s = heavy_s = 0.0
        ratios = []
        for _ in range(ROUNDS):
            f = _timed(client, FLOOR_URL, headers, per_round)
            light = _timed(client, LIST_URL, headers, per_round)
            h = _timed(client, LIST_URL, heavy, per_round)
            floor_s, light_s, heavy_s = floor_s + f, light_s + light, heavy_s + h
            ratios.append(f / light)
    n = per_round * ROUNDS
    return {
        "requests": n,
        "floor_rps": n / floor_s,
        "list_rps": n / light_s,
        "heavy_rps": n / heavy_s,
        "ratio": floor_s / light_s,
        "heavy_ratio": floor_s / heavy_s,
        "round_ratios": ratios,
        "light_queries": light_queries,
        "light_rows": light_rows,
        "heavy_queries": heavy_queries,
        "heavy_rows": heavy_rows,
        "floor_queries": floor_queries,
        "plan": _plan(sample[0]),
    }


def _queries_floor(client: Client, header: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(FLOOR_URL, secure=True, **header)
    return len(captured)


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
            f"{record['build_s']:.1f} s (users {record['users_s']:.1f} s; migrate "
            f"{record['migrate_s']:.1f} s before that)"
        )
    result = measure()
    spread = statistics.pstdev(result["round_ratios"])
    print(f"requests per side: {result['requests']:,} in {ROUNDS} interleaved rounds")
    print(
        f"floor (trivial authenticated JSON view): {result['floor_rps']:8.0f} req/s, "
        f"{result['floor_queries']} query"
    )
    print(
        f"list, learner with 10 drafts:            {result['list_rps']:8.0f} req/s, "
        f"{result['light_queries']} queries, {result['light_rows']} rows"
    )
    print(
        f"list, learner with 1,000 drafts (page):  {result['heavy_rps']:8.0f} req/s, "
        f"{result['heavy_queries']} queries, {result['heavy_rows']} rows"
    )
    print(
        f"ratio list / floor (throughput): {result['ratio']:.2f} "
        f"(rounds: {', '.join(f'{r:.2f}' for r in result['round_ratios'])}; sd {spread:.2f})"
    )
    print(f"ratio heavy list / floor:        {result['heavy_ratio']:.2f}")
    print(f"query plan: {result['plan']}")
    ok = (
        result["light_queries"] == result["heavy_queries"]
        and "draft_owner_updated" in result["plan"]
    )
    print("constant queries and index use: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
