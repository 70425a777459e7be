"""The witness package imports nothing but NumPy, the standard library and itself."""

import ast
import sys
from pathlib import Path

import demos.witnesses

PACKAGE_DIR = Path(demos.witnesses.__file__).parent
ALLOWED_THIRD_PARTY = {"numpy"}


def imported_modules(source: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import; relative imports count as the package."""
    found = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = "demos.witnesses" if node.level else (node.module or "")
            found.append((node.lineno, module))
    return found


def test_witness_sources_import_only_numpy_and_the_standard_library():
    """No Django, SciPy or other dependency is imported anywhere under demos/witnesses/."""
    sources = sorted(PACKAGE_DIR.rglob("*.py"))
    assert sources, "no witness sources found"
    offenders = []
    for source in sources:
        for line, module in imported_modules(source):
            top = module.split(".")[0]
            own = module == "demos.witnesses" or module.startswith("demos.witnesses.")
            if not (own or top in ALLOWED_THIRD_PARTY or top in sys.stdlib_module_names):
                offenders.append(f"{source.relative_to(PACKAGE_DIR)}:{line} imports {module}")
    assert offenders == []
