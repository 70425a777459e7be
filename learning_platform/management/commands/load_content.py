from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from concepts.models import ConceptRevision
from concepts.revisions import revision_scope
from learning_platform.content import ContentError, LoadReport, content_loaders


class Command(BaseCommand):
    help = (
        "Validate and load the content files (default: content/) with every registered loader, "
        "in one transaction: an invalid file loads nothing. Running it twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="content folder (default: content/)")

    def handle(self, *args, path=None, **options):
        root = Path(path) if path else Path(settings.BASE_DIR) / "content"
        if not root.is_dir():
            raise CommandError(f"{root} is not a folder.")
        report = LoadReport()
        try:
            with revision_scope(door=ConceptRevision.Door.LOADER, reason=f"Loaded {root}"):
                for loader in content_loaders():
                    loader.load(root, report)
        except ContentError as exc:
            raise CommandError(
                f"Refused {exc.path}: field {exc.field}: {exc.reason}. Nothing was loaded."
            ) from exc
        for verb, keys in (
            ("created", report.created),
            ("updated", report.updated),
            ("deleted", report.deleted),
        ):
            for key in keys:
                self.stdout.write(f"{verb} {key}")
        if report.changed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded {root}: {len(report.created)} created, {len(report.updated)} "
                    f"updated, {len(report.deleted)} deleted, {report.unchanged} unchanged."
                )
            )
        else:
            self.stdout.write(f"No changes. ({report.unchanged} items already up to date)")
