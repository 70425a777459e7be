import datetime
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.audit import checkpoint_parse, review_trail_verify
from claims.selectors import review_chain_heads
from learning_platform.progress import step_progress

# A tampered registry can have a problem per review: the error names this many, then counts.
MAX_LINES = 200


def _read_json(path: str, what: str):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read {what} from {path}: {exc}") from exc


def _moment(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--not-before {value!r} is not an ISO 8601 time: {exc}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


class Command(BaseCommand):
    help = (
        "Check the whole review trail: every claim's chain and pointer, every fingerprint "
        "recomputed, every author's identity, every signature by the platform's key, the "
        "registry-wide log and every checkpoint. Prints one line per problem (claim key, "
        "review sequence, what failed) and exits non-zero when there is one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--against",
            metavar="CHECKPOINT",
            help="A checkpoint kept outside the database (review_checkpoint, or GET "
            "/api/v1/claims/checkpoint/): its signature must verify and the log extend it.",
        )
        parser.add_argument(
            "--not-before",
            metavar="TIME",
            help="With --against: the checkpoint must have been issued at or after TIME "
            "(ISO 8601; UTC unless it names a zone), so an old one cannot pass as current.",
        )
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

    def handle(
        self, *args, against=None, not_before=None, check_heads=None, save_heads=None, **options
    ):
        if not_before and not against:
            raise CommandError("--not-before applies to the checkpoint given with --against.")
        anchors = _read_json(check_heads, "saved heads") if check_heads else None
        checkpoint = None
        if against:
            try:
                checkpoint = checkpoint_parse(
                    _read_json(against, "a checkpoint"), origin=f"checkpoint {against}"
                )
            except ValueError as exc:
                raise CommandError(f"{against} is not a checkpoint: {exc}") from exc
        with step_progress(self.stderr, desc="Verifying reviews", unit="row") as progress:
            report = review_trail_verify(
                anchors=anchors,
                checkpoint=checkpoint,
                not_before=_moment(not_before) if not_before else None,
                progress=progress,
            )
        if report.problems:
            lines = [str(problem) for problem in report.problems[:MAX_LINES]]
            if len(report.problems) > MAX_LINES:
                lines.append(f"… and {len(report.problems) - MAX_LINES} more.")
            raise CommandError(
                f"{len(report.problems)} problem{'' if len(report.problems) == 1 else 's'} in "
                f"the review trail (after checking "
                f"{report.reviews} reviews of {report.claims} claims):\n" + "\n".join(lines)
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.reviews} reviews of {report.claims} claims verified: every chain is "
                f"intact and every signature verifies; the log of {report.log_size} reviews "
                f"extends {report.checkpoints} checkpoints."
            )
        )
        if save_heads:
            heads = review_chain_heads()
            Path(save_heads).write_text(json.dumps(heads, indent=2, sort_keys=True) + "\n")
            self.stdout.write(f"Saved {len(heads)} chain heads to {save_heads}.")
