from rest_framework.permissions import SAFE_METHODS, BasePermission

from .roles import is_editor, is_reviewer


class IsEditor(BasePermission):
    message = "Only editors may change content."

    def has_permission(self, request, view) -> bool:
        return is_editor(request.user)


class IsReviewer(BasePermission):
    message = "Only reviewers may record reviews."

    def has_permission(self, request, view) -> bool:
        return is_reviewer(request.user)


class IsEditorOrReadOnly(BasePermission):
    message = "Only editors may change content."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or is_editor(request.user)
