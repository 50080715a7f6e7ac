"""The domain core has no Django (STYLE.md rule 1): not in its imports, not at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pqrisk.core

CORE = Path(pqrisk.core.__file__).parent
ROOT = CORE.parent.parent


def _modules() -> list[str]:
    return [
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in sorted(CORE.rglob("*.py"))
    ]


def _django_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [n for n in names if n == "django" or n.startswith("django.")]
    return found


def test_no_core_file_imports_django() -> None:
    offenders = {
        str(p.relative_to(ROOT)): names
        for p in sorted(CORE.rglob("*.py"))
        if (names := _django_imports(p))
    }
    assert offenders == {}


def test_core_modules_are_all_found() -> None:
    modules = _modules()
    for expected in (
        "pqrisk.core.levels",
        "pqrisk.core.workflow",
        "pqrisk.core.assessment.matrix",
        "pqrisk.core.warning.rules",
        "pqrisk.core.text.normalize",
        "pqrisk.core.screening.dedup",
        "pqrisk.core.screening.tagging",
        "pqrisk.core.uscc",
    ):
        assert expected in modules


def test_importing_the_core_leaves_django_unloaded() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
