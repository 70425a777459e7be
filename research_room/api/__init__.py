"""The research room over REST: one view per route, each scoped to the requesting learner.

Every query starts from the requesting user's own rows, so another learner's draft, prediction
or progress answers 404 and never shows up in a list, a filter, a search or an export. The
views are in ``drafts``, ``exchange`` (export and import) and ``practice``, named here for
the URLconf; the serializers they share are in ``serializers``.
"""

from .drafts import DraftDetailApi, DraftHandoffApi, DraftListApi
from .exchange import DraftExportApi, DraftImportApi
from .practice import (
    PracticeHintRevealApi,
    PracticePredictionApi,
    PracticeReadinessApi,
    PracticeRevealApi,
    PracticeStateApi,
)

__all__ = [
    "DraftDetailApi",
    "DraftExportApi",
    "DraftHandoffApi",
    "DraftImportApi",
    "DraftListApi",
    "PracticeHintRevealApi",
    "PracticePredictionApi",
    "PracticeReadinessApi",
    "PracticeRevealApi",
    "PracticeStateApi",
]
