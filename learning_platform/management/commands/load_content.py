from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from learning_platform.content import (
    ContentConflict,
    ContentError,
    LoadReport,
    content_load,
    content_load_scope,
)
from learning_platform.progress import step_progress


class Command(BaseCommand):
    help = (
        "Validate and load the content files (default: content/) in one transaction: an "
        "invalid file loads nothing. Only units whose files changed since the last load are "
        "written; a unit edited in the database since then is kept, and one changed on both "
        "sides is a conflict that stops the load before any write (--theirs / --ours)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="content folder (default: content/)")
        side = parser.add_mutually_exclusive_group()
        side.add_argument(
            "--theirs",
            action="store_const",
            dest="resolve",
            const="theirs",
            help="on a conflict, load the files over the database's edit",
        )
        side.add_argument(
            "--ours",
            action="store_const",
            dest="resolve",
            const="ours",
            help="on a conflict, keep the database's edit (export_content writes it to files)",
        )

    def handle(self, *args, path=None, resolve=None, **options):
        root = Path(path) if path else Path(settings.BASE_DIR) / "content"
        if not root.is_dir():
            raise CommandError(f"{root} is not a folder.")
        report = LoadReport()
        try:
            with (
                step_progress(self.stderr, desc="Loading content", unit="step") as progress,
                content_load_scope(f"Loaded {root}"),
            ):
                plan = content_load(root, report, resolve=resolve, progress=progress)
        except ContentError as exc:
            reason = exc.reason.rstrip(".")
            raise CommandError(
                f"Refused {exc.path}: field {exc.field}: {reason}. Nothing was loaded."
            ) from exc
        except ContentConflict as exc:
            lines = "\n".join(f"  conflict {conflict.describe()}" for conflict in exc.conflicts)
            raise CommandError(
                f"{len(exc.conflicts)} unit(s) changed both in the files and in the database "
                f"since the last load:\n{lines}\nNothing was loaded. Run with --theirs to load "
                "the files over the database, or --ours to keep the database (then "
                "export_content writes its version to the files)."
            ) from exc
        for unit in plan.kept:
            self.stdout.write(
                self.style.WARNING(
                    f"kept {unit}: edited in the database since the last load "
                    "(export_content writes it to the files)"
                )
            )
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
