from django.apps import AppConfig


class ConceptsConfig(AppConfig):
    name = "concepts"
    verbose_name = "Concepts"

    def ready(self) -> None:
        from learning_platform.content import ContentLoader, register_content_loader

        from . import (
            objects,  # noqa: F401  (registers the object-key resolvers)
            revisions,
        )
        from .content import (
            concepts_export,
            concepts_files,
            concepts_files_on_disk,
            concepts_load,
        )

        revisions.connect()
        register_content_loader(
            ContentLoader(
                name="concepts",
                load=concepts_load,
                export=concepts_export,
                on_disk=concepts_files_on_disk,
                in_database=concepts_files,
                revision_of=revisions.revision_of_unit,
                scope=revisions.loader_scope,
            )
        )
