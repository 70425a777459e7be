from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from learning_platform.content import content_loaders
from learning_platform.progress import progress_bar


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
        loaders = content_loaders()
        lines, total = [], 0
        # The lines wait for the bar to be erased, so a terminal shows them whole.
        with progress_bar(
            self.stderr, desc="Exporting content", unit="loader", total=len(loaders)
        ) as bar:
            for loader in loaders:
                bar.set_postfix_str(loader.name, refresh=False)
                written = loader.export(root)
                total += len(written)
                lines.append(f"{loader.name}: {len(written)} files")
                bar.update()
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Exported {total} files to {root}."))
