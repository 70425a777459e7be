"""The three roles, as Django groups, and the model permissions each needs.

Groups are created by a data migration; their permissions are synced after every migrate,
because a model's permissions exist only once its app has migrated.
"""

from typing import cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User

EDITORS = "editors"
REVIEWERS = "reviewers"
LEARNERS = "learners"
ROLES = (EDITORS, REVIEWERS, LEARNERS)

ALL = ("add", "change", "delete", "view")
VIEW = ("view",)

# (app_label, model name or "*" for every model of the app, actions).
ROLE_PERMISSIONS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    EDITORS: [
        ("concepts", "*", ALL),
        ("claims", "claim", ALL),
        ("claims", "claimsource", ALL),
        ("claims", "claimwitness", ALL),
        ("claims", "claimreview", VIEW),
        ("claims", "claimverification", VIEW),
        ("demos", "demorun", VIEW),
    ],
    REVIEWERS: [
        ("concepts", "*", VIEW),
        ("claims", "*", VIEW),
        ("claims", "claimreview", ("add", "view")),
        ("claims", "claimverification", ("add", "view")),
        ("demos", "demorun", VIEW),
    ],
    LEARNERS: [
        ("research_room", "researchdraft", ALL),
        ("research_room", "practiceprediction", ALL),
        ("research_room", "practiceprogress", ALL),
        ("demos", "demorun", ("add", "view")),
    ],
}


def has_role(user: AbstractBaseUser | AnonymousUser | None, role: str) -> bool:
    """True when the user belongs to the group; superusers hold every role."""
    if user is None or not user.is_authenticated:
        return False
    # The project keeps Django's default user model, so an authenticated user is a User.
    member = cast(User, user)
    if member.is_superuser:
        return True
    cache: set[str] | None = getattr(member, "_role_cache", None)
    if cache is None:
        cache = set(member.groups.values_list("name", flat=True))
        member._role_cache = cache  # type: ignore[attr-defined]  # a per-instance cache the User model does not declare
    return role in cache


def is_editor(user) -> bool:
    return has_role(user, EDITORS)


def is_reviewer(user) -> bool:
    return has_role(user, REVIEWERS)


def sync_role_permissions(**kwargs) -> None:
    """Give each group exactly the permissions ROLE_PERMISSIONS names (post_migrate)."""
    from django.contrib.auth.models import Group, Permission

    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted: list[Permission] = []
        for app_label, model, actions in grants:
            perms = Permission.objects.filter(content_type__app_label=app_label)
            if model != "*":
                perms = perms.filter(content_type__model=model)
            wanted.extend(perm for perm in perms if perm.codename.split("_", 1)[0] in actions)
        group.permissions.set(wanted)
