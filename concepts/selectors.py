"""Every read the API, the admin preview and the object resolvers share.

Each function runs a fixed number of queries whatever the page or the graph holds.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any, cast
from urllib.parse import urlencode

from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.urls import reverse

from learning_platform.pages import page_sections
from learning_platform.roles import is_editor, is_reviewer

from .embeds import EmbeddedObject, embed_expand, embedded_objects
from .graph import requires_map, study_order
from .models import (
    Concept,
    ConceptObject,
    PracticeHint,
    Prerequisite,
    RelatedLink,
    Section,
    Source,
    SourceSnapshot,
)
from .shapes import (
    ConceptBefore,
    ConceptDemo,
    ConceptLinks,
    ConceptNext,
    ConceptPage,
    ConceptRef,
    LearnerTexts,
    LearningMapCounts,
    ObjectData,
    PageSource,
    Readiness,
    SectionData,
    SnapshotState,
    SourceBibliography,
    SourceSummary,
)
from .shapes import RelatedLink as RelatedLinkData

SNAPSHOT_READY = "Local snapshot ready"
SNAPSHOT_MISSING = "No local snapshot"


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


# Concepts -------------------------------------------------------------------------------------


def concept_sees_unpublished(user) -> bool:
    """Editors (and reviewers, who audit pages before publication) see every status."""
    return is_editor(user) or is_reviewer(user)


def concept_visible(*, concept: Concept, user) -> bool:
    """The one visibility rule: published concepts for everyone, the rest for editors and
    reviewers. What a user may not see is left out of every answer that mentions it."""
    return concept.status == Concept.Status.PUBLISHED or concept_sees_unpublished(user)


def concept_list(*, user) -> QuerySet[Concept]:
    concepts = Concept.objects.all()
    if not concept_sees_unpublished(user):
        concepts = concepts.filter(status=Concept.Status.PUBLISHED)
    return concepts


def concept_get(*, user, area: str, slug: str) -> Concept | None:
    return concept_list(user=user).filter(area=area, slug=slug).first()


def concept_by_path(path: str) -> Concept | None:
    """``"alignment/rlhf"`` → the concept, whatever its status, or None."""
    area, sep, slug = path.partition("/")
    if not sep or not area or not slug or "/" in slug:
        return None
    return Concept.objects.filter(area=area, slug=slug).first()


def concept_revision_of_key(concept_key: str) -> str:
    """The newest revision hash of the concept ``concept:<area>/<slug>`` ("" if none)."""
    area, _, slug = concept_key.removeprefix("concept:").partition("/")
    found = Concept.objects.filter(area=area, slug=slug).values_list("revision_hash", flat=True)
    return found.first() or ""


def concept_diff_path(concept_key: str, *, old: str, new: str, object_key: str = "") -> str:
    area, _, slug = concept_key.removeprefix("concept:").partition("/")
    query = {"from": old, "to": new, **({"object": object_key} if object_key else {})}
    path = reverse("concept-diff", kwargs={"area": area, "slug": slug})
    return f"{path}?{urlencode(query)}"


def practice_hints_of(concept_key: str) -> QuerySet[PracticeHint]:
    """The practice hints of ``concept:<area>/<slug>``, in order (one query when read)."""
    area, _, slug = concept_key.removeprefix("concept:").partition("/")
    return PracticeHint.objects.filter(concept__area=area, concept__slug=slug).order_by("number")


def learner_texts(concept: Concept, hints: Iterable[PracticeHint]) -> LearnerTexts:
    """The texts around the page's panels, grouped as concept.yaml's ``learner:`` block
    (Concept.LEARNER_FIELDS). Hints show their teasers only: a learner reveals each body
    through the practice loop."""
    return {
        "practice": {
            "hints": [{"number": h.number, "teaser": h.teaser} for h in hints],
            "heading": concept.practice_heading,
            "prompt": concept.practice_prompt,
        },
        "anchored_question": concept.anchored_question,
        "storyboard": {
            "heading": concept.storyboard_heading,
            "lens": concept.storyboard_lens,
            "commit": concept.storyboard_commit,
        },
        "visual_inquiry": {
            "heading": concept.visual_inquiry_heading,
            "question": concept.visual_inquiry_question,
            "commit": concept.visual_inquiry_commit,
        },
        "after_first_pass": {
            "heading": concept.after_first_pass_heading,
            "body": concept.after_first_pass_body,
        },
        "research_instruction": concept.research_instruction,
    }


def concept_api_path(concept: Concept) -> str:
    return reverse("concept-detail", kwargs={"area": concept.area, "slug": concept.slug})


def concept_edges(*, concept: Concept, user) -> tuple[list[Prerequisite], list[Prerequisite]]:
    """(before, next): the concept's prerequisite edges and the edges that build on it, in
    their display order, loaded together in one query; edges to a concept the user may not
    see are left out (``user=None`` sees what anonymous users see)."""
    edges = [
        edge
        for edge in Prerequisite.objects.filter(
            Q(concept=concept) | Q(prerequisite=concept)
        ).select_related("concept", "prerequisite")
        if concept_visible(concept=edge.concept, user=user)
        and concept_visible(concept=edge.prerequisite, user=user)
    ]
    before = sorted(
        (edge for edge in edges if edge.concept_id == concept.pk),
        key=lambda edge: (edge.order, edge.pk),
    )
    after = sorted(
        (edge for edge in edges if edge.prerequisite_id == concept.pk),
        key=lambda edge: (edge.next_order, edge.concept.area, edge.concept.slug),
    )
    return before, after


def concept_ref(concept: Concept, request=None) -> ConceptRef:
    return {
        "key": concept.key,
        "path": concept.path,
        "area": concept.area,
        "area_title": concept.area_title,
        "slug": concept.slug,
        "title": concept.title,
        "summary": concept.summary,
        "status": concept.status,
        "difficulty": concept.difficulty,
        "url": _absolute(request, concept_api_path(concept)),
    }


def concept_links(concept: Concept, request=None) -> ConceptLinks:
    """Where the page's neighbours live: its learning path, practice loop, the learner's
    research-room drafts on it, its claims and its bibliography."""
    route = {"area": concept.area, "slug": concept.slug}
    on_concept = "?" + urlencode({"concept": concept.path})
    return {
        "learning_path": _absolute(request, reverse("concept-learning-path", kwargs=route)),
        "practice": _absolute(request, reverse("practice-state", kwargs=route)),
        "research_drafts": _absolute(request, reverse("research-draft-list") + on_concept),
        "claims": _absolute(request, reverse("claim-list") + on_concept),
        "bibliography": _absolute(request, reverse("concept-bibliography", kwargs=route)),
    }


def readiness_label(ready: int, total: int) -> str:
    return f"{ready}/{total} sections ready"


def section_data(
    section: Section, objects: Mapping[tuple[str, str], EmbeddedObject]
) -> SectionData:
    """A section as served: ``body`` with its embedded objects expanded, ``body_source`` as
    stored (with the ``{{kind:anchor}}`` references)."""
    return {
        "key": section.key,
        "kind": section.kind,
        "order": section.order,
        "number": f"{section.order:02d}",
        "title": section.title,
        "summary": section.summary,
        "prompt": section.prompt,
        "section_prompt": section.section_prompt,
        "body": embed_expand(section.body, objects),
        "body_source": section.body,
        "ready": section.ready,
        "version": section.content_hash,
    }


def object_data(obj: ConceptObject, section_kinds: dict[int, str]) -> ObjectData:
    return {
        "key": obj.key,
        "kind": obj.kind,
        "anchor": obj.anchor,
        "title": obj.title,
        "section": section_kinds.get(obj.section_id) if obj.section_id else None,
        "operational": obj.operational,
        "body": obj.body,
        "language": obj.language,
        "expected_output": obj.expected_output,
        "demo_kind": obj.demo_kind,
        "params": obj.params,
        "version": obj.content_hash,
    }


def snapshot_latest_sha() -> Subquery:
    """The sha256 of the newest snapshot of the row's ``source``, for ``annotate()``."""
    return Subquery(
        SourceSnapshot.objects.filter(source=OuterRef("source"))
        .order_by("-created_at", "-id")
        .values("sha256")[:1]
    )


def snapshots_latest(*, source_ids: Iterable[int]) -> dict[int, SourceSnapshot]:
    """The newest snapshot of each source, in one query."""
    source_ids = list(source_ids)
    if not source_ids:
        return {}
    newest = (
        SourceSnapshot.objects.filter(source=OuterRef("source"))
        .order_by("-created_at", "-id")
        .values("id")[:1]
    )
    rows = SourceSnapshot.objects.filter(source_id__in=source_ids, id=Subquery(newest))
    return {snapshot.source_id: snapshot for snapshot in rows}


def snapshot_data(
    source: Source, snapshot: SourceSnapshot | None, request=None
) -> SnapshotState | None:
    if snapshot is None:
        return None
    return {
        "state": SNAPSHOT_READY,
        "sha256": snapshot.sha256,
        "size_bytes": snapshot.size_bytes,
        "media_type": snapshot.media_type,
        "retrieved_on": snapshot.retrieved_on.isoformat(),
        "download_url": _absolute(
            request,
            reverse(
                "source-snapshot-by-hash", kwargs={"key": source.key, "sha256": snapshot.sha256}
            ),
        ),
    }


def source_bibliography(source: Source) -> SourceBibliography:
    """The bibliographic record, as the API and the object resolver both show it; ``web_url``
    is where the work itself is published."""
    return {
        "kind": source.kind,
        "authors": list(source.authors),
        "short_authors": source.short_authors,
        "year": source.year,
        "venue": source.venue,
        "web_url": source.url,
        "doi": source.doi,
        "arxiv_id": source.arxiv_id,
    }


def source_data(source: Source, snapshot: SourceSnapshot | None, request=None) -> SourceSummary:
    return {
        "key": source.key,
        "object_key": source.object_key,
        "label": f"{source.kind} · {source.year}" if source.year else source.kind,
        "title": source.title,
        **source_bibliography(source),
        "version": snapshot.sha256 if snapshot else source.content_hash,
        "url": _absolute(request, reverse("source-detail", kwargs={"key": source.key})),
        "snapshot_state": SNAPSHOT_READY if snapshot else SNAPSHOT_MISSING,
        "snapshot": snapshot_data(source, snapshot, request),
    }


def sources_state_label(attached: int, without_snapshot: int) -> str:
    if attached == 0:
        return "No sources attached"
    if without_snapshot == 0:
        return SNAPSHOT_READY
    return f"{without_snapshot} of {attached} sources without a local snapshot"


def related_link(link: RelatedLink, request) -> RelatedLinkData:
    """A related link: its url is the related concept's page, or its web address when it
    points outside the platform."""
    target = concept_ref(link.target, request) if link.target else None
    return {
        "title": link.title or (target["title"] if target is not None else link.url),
        "url": target["url"] if target is not None else link.url,
        "web_url": link.url,
        "note": link.note,
        "target": target,
    }


def concept_page(*, concept: Concept, user, request=None) -> ConceptPage:
    """The whole concept page as JSON-ready data, in a fixed number of queries. Neighbours
    and related concepts the user may not see are absent from its learning map."""
    sections = list(concept.sections.all())
    section_kinds = {section.pk: section.kind for section in sections}
    objects = list(concept.page_objects.all())
    embeds = embedded_objects(objects)
    before, after = concept_edges(concept=concept, user=user)
    related = [
        link
        for link in concept.related_links.select_related("target")
        if link.target is None or concept_visible(concept=link.target, user=user)
    ]
    source_links = list(concept.source_links.select_related("source"))
    snapshots = snapshots_latest(source_ids=[link.source_id for link in source_links])

    ready = sum(1 for section in sections if section.ready)
    readiness: Readiness = {
        "ready": ready,
        "total": len(sections),
        "label": readiness_label(ready, len(sections)),
    }
    before_data: list[ConceptBefore] = [
        {**concept_ref(edge.prerequisite, request), "carry_in": edge.carry_in} for edge in before
    ]
    next_data: list[ConceptNext] = [
        {**concept_ref(edge.concept, request), "carry_out": edge.carry_out} for edge in after
    ]
    related_data: list[RelatedLinkData] = [related_link(link, request) for link in related]
    sources: list[PageSource] = [
        {
            **source_data(link.source, snapshots.get(link.source_id), request),
            "grounds": link.grounds,
        }
        for link in source_links
    ]
    without_snapshot = sum(1 for link in source_links if link.source_id not in snapshots)
    object_rows = [object_data(obj, section_kinds) for obj in objects]
    demos: list[ConceptDemo] = [
        {
            "key": row["key"],
            "anchor": row["anchor"],
            "title": row["title"],
            "demo_kind": row["demo_kind"],
            "params": row["params"],
            "body": row["body"],
            "runs_url": _absolute(
                request, reverse("demo-run-request", kwargs={"kind": row["demo_kind"]})
            ),
        }
        for row in object_rows
        if row["kind"] == ConceptObject.Kind.DEMO
    ]
    counts: LearningMapCounts = {
        "prerequisites": len(before_data),
        "next_concepts": len(next_data),
        "related_links": len(related_data),
    }
    first_before = before_data[0] if before_data else None
    first_next = next_data[0] if next_data else None

    page: ConceptPage = {
        **concept_ref(concept, request),
        "links": concept_links(concept, request),
        "importance": concept.importance,
        "math_level": concept.math_level,
        "read_minutes": concept.read_minutes,
        "illustration_caption": concept.illustration_caption,
        "live_demo": bool(demos),
        "version": concept.content_hash,
        "updated_at": concept.updated_at.isoformat() if concept.updated_at else None,
        "readiness": readiness,
        "sections": [section_data(section, embeds) for section in sections],
        "objects": object_rows,
        "learning_map": {
            "before": before_data,
            "now": {
                "key": concept.key,
                "title": concept.title,
                "summary": concept.summary,
                "readiness": readiness["label"],
                "test_the_link": concept.link_test,
            },
            "next": next_data,
            "related": related_data,
            "counts": counts,
            "counts_label": " · ".join(
                [
                    _plural(counts["prerequisites"], "prerequisite"),
                    _plural(counts["next_concepts"], "next concept"),
                    _plural(counts["related_links"], "related link"),
                ]
            ),
            "bridge": {
                "carry_in": (
                    {
                        "key": first_before["key"],
                        "title": first_before["title"],
                        "note": first_before["carry_in"],
                    }
                    if first_before
                    else None
                ),
                "work_here": {"key": concept.key, "title": concept.title, "note": concept.summary},
                "carry_out": (
                    {
                        "key": first_next["key"],
                        "title": first_next["title"],
                        "note": first_next["carry_out"],
                    }
                    if first_next
                    else None
                ),
                "test_the_link": concept.link_test,
            },
        },
        "related_links": related_data,
        "sources": sources,
        "sources_summary": {
            "count": len(sources),
            "label": _plural(len(sources), "source") + " attached",
            "snapshot_state": sources_state_label(len(sources), without_snapshot),
        },
        "demos": demos,
        "learner": learner_texts(concept, concept.practice_hints.all()),
    }
    # Other apps' sections go under their own names, outside the keys ConceptPage declares.
    contributed = cast(dict[str, Any], page)
    for name, build in page_sections().items():
        contributed[name] = build(concept=concept, request=request)
    return page


# Learning path --------------------------------------------------------------------------------


def _ancestry_sql() -> str:
    """A recursive query over one concept's ancestry: the same SQL on SQLite and PostgreSQL."""
    qn = connection.ops.quote_name
    edge = qn(Prerequisite._meta.db_table)
    return (
        f"WITH RECURSIVE anc(id) AS ("
        f"SELECT p.{qn('prerequisite_id')} FROM {edge} p WHERE p.{qn('concept_id')} = %s "
        f"UNION "
        f"SELECT p.{qn('prerequisite_id')} FROM {edge} p "
        f"JOIN anc ON p.{qn('concept_id')} = anc.id)"
    )


def concept_learning_path(*, concept: Concept, user) -> list[dict[str, Any]]:
    """Every step of concept_learning_path_page, in one list."""
    return concept_learning_path_page(concept=concept, user=user)[1]


def concept_learning_path_page(
    *, concept: Concept, user, limit: int | None = None, offset: int = 0, request=None
) -> tuple[int, list[dict[str, Any]]]:
    """(count, steps): of every transitive prerequisite of ``concept`` the user may see,
    prerequisites first, the ``limit`` steps from ``offset`` (all with no limit). Two queries.

    One recursive query loads the edges inside the ancestry, another the concepts in it as
    value rows; the walk is done in Python, so the query count does not grow with the depth of
    the graph. The whole order is computed from ids; only the steps asked for are built.
    A concept the user may not see is left out, and a step that required it requires what
    it required in turn (its nearest visible prerequisites), so the order stays valid.
    """
    qn = connection.ops.quote_name
    ancestry = _ancestry_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"{ancestry} SELECT p.{qn('concept_id')}, p.{qn('prerequisite_id')} "
            f"FROM {qn(Prerequisite._meta.db_table)} p "
            f"WHERE p.{qn('concept_id')} = %s OR p.{qn('concept_id')} IN (SELECT id FROM anc) "
            f"ORDER BY p.{qn('concept_id')}, p.{qn('order')}, p.{qn('id')}",
            [concept.pk, concept.pk],
        )
        edges = cursor.fetchall()
    if not edges:
        return 0, []
    requires = requires_map(edges)
    order = study_order(requires, concept.pk)
    fields = ("id", "area", "slug", "title", "summary", "status", "difficulty")
    rows = Concept.objects.filter(
        pk__in=RawSQL(f"{ancestry} SELECT id FROM anc", [concept.pk])
    ).values_list(*fields)
    by_id = {row[0]: row for row in rows}
    sees_all = concept_sees_unpublished(user)
    published = Concept.Status.PUBLISHED
    visible = {pk for pk, row in by_id.items() if sees_all or row[5] == published}
    steps_in_order = [pk for pk in order if pk in visible]
    end = len(steps_in_order) if limit is None else offset + limit
    page = steps_in_order[offset:end]
    # Prerequisites come first in `order`, so each hidden concept's nearest visible
    # prerequisites are known before anything that requires it is reached.
    nearest: dict[int, list[int]] = {}
    for pk in order:
        found: dict[int, None] = {}
        for p in requires.get(pk, ()):
            for q in [p] if p in visible else nearest.get(p, []):
                found[q] = None
        nearest[pk] = list(found)
    # One reverse() for the whole path: thousands of steps would otherwise spend their time
    # resolving the same URL pattern.
    base = _absolute(request, reverse("concept-list"))
    steps = []
    for step, pk in enumerate(page, start=offset + 1):
        _, area, slug, title, summary, status, difficulty = by_id[pk]
        path = f"{area}/{slug}"
        steps.append(
            {
                "step": step,
                "key": f"concept:{path}",
                "path": path,
                "title": title,
                "summary": summary,
                "status": status,
                "difficulty": difficulty,
                "requires": [f"concept:{by_id[p][1]}/{by_id[p][2]}" for p in nearest[pk]],
                "url": f"{base}{path}/",
            }
        )
    return len(steps_in_order), steps


# Sources --------------------------------------------------------------------------------------


def source_list() -> QuerySet[Source]:
    return Source.objects.all()


def source_get(*, key: str) -> Source | None:
    return Source.objects.filter(key=key).first()


def source_concepts(*, source: Source, user) -> list[Concept]:
    visible = concept_list(user=user)
    return list(visible.filter(source_links__source=source).order_by("area", "slug"))


def snapshot_latest(*, source: Source) -> SourceSnapshot | None:
    return source.snapshots.order_by("-created_at", "-id").first()


def snapshot_by_hash(*, source: Source, sha256: str) -> SourceSnapshot | None:
    """The snapshot of ``source`` whose bytes hash to ``sha256`` (the newest such row)."""
    return source.snapshots.filter(sha256=sha256).order_by("-created_at", "-id").first()


def source_snapshots(*, source: Source) -> list[SourceSnapshot]:
    return list(source.snapshots.order_by("-created_at", "-id"))


ARXIV_DOI_PREFIX = "10.48550/arXiv."


def source_is_preprint(source: Source) -> bool:
    """An arXiv paper with no other venue: cited as the preprint it is."""
    return bool(source.arxiv_id) and (not source.venue or "arxiv" in source.venue.lower())


# A journal venue as the registry writes it: "Biometrika 39(3/4), 324–345", "Machine Learning
# 8(3–4), 229–256", "Philosophical Transactions … Series A 222, 309–368".
_JOURNAL_VENUE = re.compile(
    r"^(?P<container>.+?) (?P<volume>\d+)(?:\((?P<issue>[^()]+)\))?, "
    r"(?P<page>\d+(?:\s*[–-]\s*\d+)?)$"
)


def journal_venue_csl(venue: str) -> dict[str, str]:
    """A journal venue as CSL's separate fields (container-title, volume, issue, page), so a
    style prints "Biometrika, 39(3/4), pp. 324–345"; a venue in another form stays whole as the
    container-title."""
    found = _JOURNAL_VENUE.match(venue)
    if found is None:
        return {"container-title": venue}
    fields = {
        "container-title": found["container"],
        "volume": found["volume"],
        "page": found["page"],
    }
    if found["issue"]:
        fields["issue"] = found["issue"]
    return fields


def source_csl(source: Source) -> dict[str, Any]:
    """The source as a CSL-JSON item (the citation format of Zotero, Pandoc and citeproc).

    An arXiv preprint is an ``article`` published by arXiv whose ``number`` is its arXiv id, as
    Zotero writes it; a paper that appeared at a venue is cited from that venue, and its arXiv
    id stays in its DOI (10.48550/arXiv.<id>) and URL rather than in ``number``, which styles
    print as an article number."""
    csl_types: dict[str, str] = {
        Source.Kind.PAPER: "paper-conference",
        Source.Kind.ARTICLE: "article-journal",
        Source.Kind.BOOK: "book",
        Source.Kind.WEB: "webpage",
        Source.Kind.CODE: "software",
        Source.Kind.DATASET: "dataset",
    }
    csl_type = csl_types.get(source.kind, "document")
    authors = []
    for name in source.authors:
        family, sep, given = str(name).partition(",")
        authors.append(
            {"family": family.strip(), "given": given.strip()} if sep else {"literal": name}
        )
    preprint = source_is_preprint(source)
    item: dict[str, Any] = {
        "id": source.key,
        "type": "article" if preprint else csl_type,
        "title": source.title,
    }
    if authors:
        item["author"] = authors
    if source.year:
        item["issued"] = {"date-parts": [[source.year]]}
    if preprint:
        item["publisher"] = "arXiv"
        item["number"] = f"arXiv:{source.arxiv_id}"
    elif source.venue and csl_type == "article-journal":
        item.update(journal_venue_csl(source.venue))
    elif source.venue:
        item["container-title"] = source.venue
    if source.url:
        item["URL"] = source.url
    if source.doi:
        item["DOI"] = source.doi
    elif source.arxiv_id:
        item["DOI"] = f"{ARXIV_DOI_PREFIX}{source.arxiv_id}"
    return item


def sources_of_concept(*, concept: Concept) -> list[Source]:
    """The sources a concept page cites, in the page's order (one query)."""
    return [link.source for link in concept.source_links.select_related("source")]
