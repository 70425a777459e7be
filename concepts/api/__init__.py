"""Concepts and sources over REST: one view per endpoint, grouped by resource."""

from .bibliography import ConceptBibliographyApi, SourceCslListApi
from .concepts import ConceptDetailApi, ConceptLearningPathApi, ConceptListApi
from .page import concept_payload
from .prerequisites import PrerequisiteAddApi
from .revisions import ConceptDiffApi, ConceptRevisionDetailApi, ConceptRevisionListApi
from .sources import (
    SourceCslApi,
    SourceDetailApi,
    SourceListApi,
    SourceSnapshotApi,
    SourceSnapshotByHashApi,
)

__all__ = [
    "ConceptBibliographyApi",
    "ConceptDetailApi",
    "ConceptDiffApi",
    "ConceptLearningPathApi",
    "ConceptListApi",
    "ConceptRevisionDetailApi",
    "ConceptRevisionListApi",
    "PrerequisiteAddApi",
    "SourceCslApi",
    "SourceCslListApi",
    "SourceDetailApi",
    "SourceListApi",
    "SourceSnapshotApi",
    "SourceSnapshotByHashApi",
    "concept_payload",
]
