from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save, pre_migrate


class LearningPlatformConfig(AppConfig):
    name = "learning_platform"
    verbose_name = "Learning platform"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from .roles import sync_role_permissions
        from .tokens import tokens_revoke_on_password_change
        from .versions import pause_tracking, resume_tracking

        post_migrate.connect(sync_role_permissions, dispatch_uid="sync_role_permissions")
        pre_migrate.connect(pause_tracking, dispatch_uid="versions_pause_tracking")
        post_migrate.connect(resume_tracking, dispatch_uid="versions_resume_tracking")
        post_save.connect(
            tokens_revoke_on_password_change,
            sender=get_user_model(),
            dispatch_uid="tokens_revoke_on_password_change",
        )
