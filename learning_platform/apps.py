from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LearningPlatformConfig(AppConfig):
    name = "learning_platform"
    verbose_name = "Learning platform"

    def ready(self) -> None:
        from .roles import sync_role_permissions

        post_migrate.connect(sync_role_permissions, dispatch_uid="sync_role_permissions")
