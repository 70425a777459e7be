from rest_framework.permissions import BasePermission

from .roles import is_editor


class IsEditor(BasePermission):
    message = "Only editors may change content."

    def has_permission(self, request, view) -> bool:
        return is_editor(request.user)
