"""The claims' read shape: a claim with what claims.selectors.claims_with_links reads beside it."""

from dataclasses import dataclass

from .models import Claim, ClaimReview, ClaimVerification, SourceLink, WitnessLink


@dataclass(frozen=True)
class ClaimRead:
    """A claim as the API, the pages and the admin show it: the row, its sources and witnesses
    as plain dicts, its latest review (with its reviewer) and latest verification, and, when
    asked for, all its reviews newest first.

    Read the latest review and verification here, not through ``claim``: the row's foreign keys
    are not loaded, and following them would cost a query per claim.
    """

    claim: Claim
    source_links: list[SourceLink]
    witness_links: list[WitnessLink]
    latest_review: ClaimReview | None
    latest_verification: ClaimVerification | None
    # The revision a stale claim's reasons diff from when this database does not hold the one
    # its latest review saw: the concept's oldest here, or "" when it has none. None otherwise:
    # diff from the latest review's revision.
    diff_since: str | None = None
    # Every review, newest first; None unless claims_with_links was asked for them.
    review_history: list[ClaimReview] | None = None
