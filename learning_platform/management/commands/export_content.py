from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from learning_platform.content import content_loaders


class Command(BaseCommand):
    help = (
        "Write the content back as files (default: content/) with every registered loader's "
        "export: load then export reproduces the files byte for byte."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="content folder (default: content/)")

    def handle(self, *args, path=None, **options):
        root = Path(path) if path else Path(settings.BASE_DIR) / "content"
        root.mkdir(parents=True, exist_ok=True)
        total = 0
        for loader in content_loaders():
            written = loader.export(root)
            total += len(written)
            self.stdout.write(f"{loader.name}: {len(written)} files")
        self.stdout.write(self.style.SUCCESS(f"Exported {total} files to {root}."))
