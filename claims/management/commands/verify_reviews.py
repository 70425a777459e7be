import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.selectors import review_chain_heads, review_chains_verify


class Command(BaseCommand):
    help = (
        "Walk every claim's review chain (sequence, previous hash, recomputed hash, latest "
        "review pointer) and name the first broken link. Exits non-zero when one is found."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check-heads",
            metavar="FILE",
            help="Also require every head saved in FILE (by --save-heads) to be in its chain.",
        )
        parser.add_argument(
            "--save-heads",
            metavar="FILE",
            help="After a clean check, write each claim's head (sequence, hash) to FILE.",
        )

    def handle(self, *args, check_heads=None, save_heads=None, **options):
        anchors = None
        if check_heads:
            try:
                anchors = json.loads(Path(check_heads).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read saved heads from {check_heads}: {exc}") from exc
        report = review_chains_verify(anchors=anchors)
        if report.broken is not None:
            raise CommandError(
                f"Broken review chain at {report.broken} "
                f"(after checking {report.reviews} reviews of {report.claims} claims)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.reviews} reviews of {report.claims} claims verified: "
                "every chain is intact."
            )
        )
        if save_heads:
            heads = review_chain_heads()
            Path(save_heads).write_text(json.dumps(heads, indent=2, sort_keys=True) + "\n")
            self.stdout.write(f"Saved {len(heads)} chain heads to {save_heads}.")
