from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims registry"

    def ready(self) -> None:
        from learning_platform.content import ContentLoader, register_content_loader
        from learning_platform.objects import register_resolver
        from learning_platform.pages import register_page_section

        from . import content, selectors, signals
        from .serializers import ConceptPageClaimsOutput

        signals.connect()
        register_resolver("claim")(selectors.claim_resolve)
        register_page_section("claims", _page_section, output=ConceptPageClaimsOutput)
        # Registered after the concepts app's loader (INSTALLED_APPS order): claims point at
        # the concepts, sources and objects it loads, in the same transaction.
        register_content_loader(
            ContentLoader(
                name="claims",
                load=content.claims_load,
                export=content.claims_export,
                on_disk=content.claims_files_on_disk,
                in_database=content.claims_files,
                unit_hash=content.claims_unit_hash,
            )
        )


def _page_section(*, concept, request=None):
    from .selectors import concept_page_claims

    return concept_page_claims(
        concept=concept, user=getattr(request, "user", None), request=request
    )
