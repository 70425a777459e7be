import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.review_log import checkpoint_issue
from claims.signing import LogTampered


class Command(BaseCommand):
    help = (
        "Sign the review log's current checkpoint (size, head, time) and print it as JSON. "
        "Keep it outside the database; later, verify_reviews --against it shows any review cut "
        "from, inserted into or reordered in the log up to that size."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="FILE", help="Write the checkpoint to FILE too.")
        parser.add_argument(
            "--no-record",
            action="store_true",
            help="Do not add it to the database's record of issued checkpoints.",
        )

    def handle(self, *args, output=None, no_record=False, **options):
        try:
            checkpoint = checkpoint_issue(store=not no_record)
        except LogTampered as exc:
            raise CommandError(str(exc)) from exc
        text = json.dumps(checkpoint, indent=2, sort_keys=True) + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
        self.stdout.write(text, ending="")
