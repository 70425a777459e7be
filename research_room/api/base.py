"""The base view of every research-room route: signed-in learners only, writes throttled."""

from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView


class LearnerWriteThrottle(ScopedRateThrottle):
    """The "learner-writes" rate, counted on writes only: reading one's drafts is not throttled."""

    counts_reads = False  # the schema documents 429 on writes only

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class ResearchRoomApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [LearnerWriteThrottle]
    throttle_scope = "learner-writes"
