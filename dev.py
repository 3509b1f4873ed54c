#!/usr/bin/env python3
"""Bootstrap and run: ``python3 dev.py demo``, ``python3 dev.py test`` (pytest on parallel workers,
:data:`PARALLEL`), ``python3 dev.py lint``
(ruff, mypy on the packages, tests/ and bench/, then lint-imports: the layer contracts),
``python3 dev.py mutate [TARGET ...]`` (mutation testing; see mutation/targets.toml).

Creates ``.venv`` beside this file on first use and installs the project into
it (again whenever ``pyproject.toml`` changes), then runs the command there.
Needs only Python 3.11+ with pip.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PARALLEL = ("-n", "auto", "--dist", "worksteal")
"""How ``test`` runs pytest (pytest-xdist): ``auto`` workers (:func:`test_workers`); an idle
worker takes half of a busy one's pending tests. Arguments given after ``test`` win
(``-n 0``: one process); ``--pdb`` turns ``auto`` into one process."""


def test_workers() -> int:
    """How many workers ``test`` starts: one more than the cores, at most 4.

    Much of the suite waits on subprocesses and sockets: on 2 cores 3 workers took 275 s,
    2 took 354 s. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` in the environment wins.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores + 1, 4)


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def package_spec(extras: str) -> str:
    """What pip installs: this project, with ``extras`` (the Dockerfile installs ``package_spec("")``)."""
    return f".[{extras}]" if extras else "."


def ensure_env(extras: str) -> Path:
    """Create the virtual environment and install the project with ``extras`` if needed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    python = _python()
    if not python.exists():
        print("creating .venv ...", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    spec = package_spec(extras)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if not stamp.exists() or stamp.read_text() != digest:
        print(f"installing {spec} into .venv ...", file=sys.stderr)
        quiet = ["-q", "--disable-pip-version-check"]
        subprocess.run([python, "-m", "pip", "install", *quiet, "--upgrade", "pip"], check=True, cwd=ROOT)
        subprocess.run([python, "-m", "pip", "install", *quiet, "-e", spec], check=True, cwd=ROOT)
        stamp.write_text(digest)
    return python


def demo_args(args: list[str], cwd: Path) -> list[str]:
    """``demo`` arguments with a relative ``--db`` path made absolute against ``cwd``.

    The demo runs in the repository (so ``python -m bot`` finds the project); a
    relative file name still means one in the folder the user typed the command in.
    """
    out: list[str] = []
    pending = False
    for arg in args:
        if pending:
            out.append(_absolute_db(arg, cwd))
            pending = False
        elif arg == "--db":
            out.append(arg)
            pending = True
        elif arg.startswith("--db="):
            out.append("--db=" + _absolute_db(arg[len("--db=") :], cwd))
        else:
            out.append(arg)
    return out


def _absolute_db(value: str, cwd: Path) -> str:
    if value.startswith("memory://"):
        return value
    if value.startswith("sqlite:///"):
        path = value[len("sqlite:///") :]
        return value if Path(path).is_absolute() else "sqlite:///" + str(cwd / path)
    return str(cwd / Path(value).expanduser())


def main(argv: list[str]) -> int:
    """Dispatch ``demo``, ``test``, ``lint`` or ``mutate``."""
    if not argv or argv[0] not in {"demo", "test", "lint", "mutate"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "demo":
        python = ensure_env("")
        return subprocess.call([python, "-m", "bot", "demo", *demo_args(rest, Path.cwd())], cwd=ROOT)
    if command == "mutate":
        python = ensure_env("dev,mutate")
        return subprocess.call([python, ROOT / "mutation" / "mutate.py", *rest], cwd=ROOT)
    python = ensure_env("dev")
    if command == "test":
        env = {"PYTEST_XDIST_AUTO_NUM_WORKERS": str(test_workers()), **os.environ}
        return subprocess.call([python, "-m", "pytest", *PARALLEL, *rest], cwd=ROOT, env=env)
    ruff = subprocess.call([python, "-m", "ruff", "check", "."], cwd=ROOT)
    mypy = subprocess.call([python, "-m", "mypy"], cwd=ROOT)  # the packages and tests/ ([tool.mypy])
    # bench/ holds scripts that import each other by file name: a run of their own, as strict
    bench = subprocess.call([python, "-m", "mypy", "bench"], cwd=ROOT)
    layers = subprocess.call([lint_imports(python)], cwd=ROOT)  # the contracts in pyproject.toml
    return ruff or mypy or bench or layers


def lint_imports(python: Path) -> Path:
    """The ``lint-imports`` script installed beside the environment's ``python``."""
    return python.parent / ("lint-imports.exe" if os.name == "nt" else "lint-imports")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
