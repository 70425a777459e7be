import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from learning_platform.roles import EDITORS, LEARNERS, REVIEWERS

DEFAULT_PASSWORD = "learn-rlhf-dev"
DEV_USERS = (
    ("editor", (EDITORS,), False),
    ("reviewer", (REVIEWERS,), False),
    ("learner1", (LEARNERS,), False),
    ("learner2", (LEARNERS,), False),
    ("admin", (), True),
)


class Command(BaseCommand):
    help = "Create the development users (editor, reviewer, learner1, learner2, admin)."

    @transaction.atomic
    def handle(self, *args, **options):
        password = os.environ.get("LP_DEV_PASSWORD") or DEFAULT_PASSWORD
        User = get_user_model()
        for username, roles, superuser in DEV_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_staff": superuser or EDITORS in roles or REVIEWERS in roles},
            )
            user.is_superuser = superuser
            user.is_staff = superuser or EDITORS in roles or REVIEWERS in roles
            user.set_password(password)
            user.save()
            user.groups.set(Group.objects.filter(name__in=roles))
            state = "created" if created else "updated"
            self.stdout.write(f"{username:9} {state:8} roles: {', '.join(roles) or 'superuser'}")
        if password == DEFAULT_PASSWORD:
            self.stdout.write(f"Password for every development user: {password}")
        else:
            self.stdout.write("Password for every development user: the value of LP_DEV_PASSWORD")
