from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class LearningPlatformConfig(AppConfig):
    name = "learning_platform"
    verbose_name = "Learning platform"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from .roles import sync_role_permissions
        from .tokens import tokens_revoke_on_password_change

        post_migrate.connect(sync_role_permissions, dispatch_uid="sync_role_permissions")
        post_save.connect(
            tokens_revoke_on_password_change,
            sender=get_user_model(),
            dispatch_uid="tokens_revoke_on_password_change",
        )
