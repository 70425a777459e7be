from django.apps import AppConfig


class DemosConfig(AppConfig):
    name = "demos"
    verbose_name = "Demos"

    def ready(self) -> None:
        from . import (
            objects,  # noqa: F401  registers the demo-state: resolver
            tasks,  # noqa: F401  registers the tasks the services send by name
        )
