"""Mutation testing of the money and ownership code: ``python3 dev.py mutate [TARGET ...]``.

For each target in ``targets.toml`` this copies the project into ``.mutate/TARGET/``,
runs mutmut there on the named functions with the target's tests, and prints the score
and every surviving mutant (file:line and the diff). Survivors listed in
``equivalent.toml`` are reported as equivalent instead. Exits 1 when any mutant survived.

Runs inside ``.venv`` (``dev.py`` installs mutmut from the ``mutate`` extra first).
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
WORK = ROOT / ".mutate"
COPIED = ("bot", "adapters", "conversations", "tests", "deploy")
# The Slack manifest tests compare deploy/slack-manifest.yaml with the code and the README.
ALSO_COPIED = ("deploy", "README.md")

# Passed to every pytest run mutmut makes. A mutant that makes a test fail half-way can
# leave a connection unclosed; the suite turns that warning into an error at exit, which
# would break mutmut's own sanity runs instead of just failing the test.
PYTEST_ARGS = [
    "-W",
    "ignore::pytest.PytestUnraisableExceptionWarning",
    "-p",
    "no:cacheprovider",
    "--timeout=20",  # a mutant that makes a test wait for an update that never comes
    # The emulator's realistic mode varies Zadarma's replies, not the mutated gates and
    # services: one mode halves the end-to-end tests' time.
    "--sandbox-mode=exact",
]
# Log statements only say what happened; mutating their text is noise.
SKIPPED_LINES = [r"^\s*log\.\w+\("]

# mutmut's main process runs the tests once itself; a test that a forced failure stopped
# half-way can leave a database thread running, and then the process never exits. Exit
# without waiting for such threads once mutmut has returned.
RUN_MUTMUT = """
import os, sys
from mutmut.__main__ import cli
try:
    cli(sys.argv[1:], prog_name="mutmut")
except SystemExit as stop:
    code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
"""

KILLED = {"killed", "timeout", "segfault", "caught by type check"}
SURVIVED = {"survived", "no tests", "suspicious"}


@dataclass(frozen=True)
class Target:
    """One group of functions mutated together, with the tests that exercise them."""

    name: str
    tests: list[str]
    functions: dict[str, list[str]]  # file -> ["Class.method" | "function"]


@dataclass(frozen=True)
class Equivalent:
    """A survivor that cannot change behaviour."""

    function: str
    before: str
    after: str
    reason: str


@dataclass
class Survivor:
    """A mutant no test killed."""

    name: str
    status: str
    file: str
    line: int
    function: str
    diff: str
    reason: str | None = None  # set when listed as equivalent


@dataclass
class Score:
    """One target's outcome."""

    target: str
    killed: int = 0
    survivors: list[Survivor] = field(default_factory=list)
    other: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def survived(self) -> list[Survivor]:
        return [s for s in self.survivors if s.reason is None]

    @property
    def equivalent(self) -> list[Survivor]:
        return [s for s in self.survivors if s.reason is not None]

    @property
    def total(self) -> int:
        return self.killed + len(self.survivors) + sum(self.other.values())

    def line(self) -> str:
        others = "".join(f", {n} {status}" for status, n in sorted(self.other.items()))
        return (
            f"{self.target}: {self.killed} killed, {len(self.survived)} survived, "
            f"{len(self.equivalent)} equivalent{others} of {self.total} ({self.seconds:.0f} s)"
        )


def load_targets(path: Path = HERE / "targets.toml") -> list[Target]:
    """The targets in ``targets.toml``."""
    data = tomllib.loads(path.read_text("utf-8"))
    return [Target(t["name"], list(t["tests"]), dict(t["functions"])) for t in data["target"]]


def load_equivalents(path: Path = HERE / "equivalent.toml") -> list[Equivalent]:
    """The equivalent mutants in ``equivalent.toml``."""
    data = tomllib.loads(path.read_text("utf-8"))
    return [
        Equivalent(e["function"], e["before"].strip(), e["after"].strip(), e["reason"])
        for e in data.get("equivalent", [])
    ]


def module_of(file: str) -> str:
    """``bot/services/ordering.py`` -> ``bot.services.ordering``."""
    return file.removesuffix(".py").replace("/", ".")


def mutant_glob(file: str, function: str) -> str:
    """The mutmut mutant-name pattern for one function of ``file``."""
    cls, _, name = function.rpartition(".")
    mangled = f"xǁ{cls}ǁ{name}" if cls else f"x_{name}"
    return f"{module_of(file)}.{mangled}__mutmut_*"


def function_of(mutant: str) -> str:
    """``pkg.mod.xǁCǁm__mutmut_3`` -> ``C.m``; ``pkg.mod.x_f__mutmut_1`` -> ``f``."""
    mangled = mutant.rpartition(".")[2].rpartition("__mutmut_")[0]
    if mangled.startswith("xǁ"):
        return ".".join(mangled.split("ǁ")[1:3])
    return mangled.removeprefix("x_")


def defined_functions(source: str) -> set[str]:
    """The module-level functions and the methods (``Class.method``) defined in ``source``."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return names


def missing_functions(targets: list[Target]) -> list[str]:
    """``target: file: function`` for every listed function the code no longer defines."""
    missing = []
    for target in targets:
        for file, functions in target.functions.items():
            path = ROOT / file
            defined = defined_functions(path.read_text("utf-8")) if path.exists() else set()
            missing += [f"{target.name}: {file}: {fn}" for fn in functions if fn not in defined]
    return missing


def function_span(source: str, function: str) -> tuple[int, int]:
    """First and last line (1-based) of ``function`` (``Class.method`` or ``name``) in ``source``."""
    cls, _, name = function.rpartition(".")
    body: list[ast.stmt] = ast.parse(source).body
    if cls:
        body = next((n.body for n in body if isinstance(n, ast.ClassDef) and n.name == cls), [])
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node.lineno, node.end_lineno or node.lineno
    return 1, len(source.splitlines())


def changed_lines(diff: str) -> tuple[str, str]:
    """The removed and the added lines of a unified diff, trimmed and newline-joined."""
    body = [ln for ln in diff.splitlines() if not ln.startswith(("---", "+++", "@@"))]
    before = "\n".join(ln[1:].strip() for ln in body if ln.startswith("-"))
    after = "\n".join(ln[1:].strip() for ln in body if ln.startswith("+"))
    return before, after


def locate(source: str, function: str, diff: str) -> int:
    """The file line of the first line a function-level diff changes."""
    lines = [ln.strip() for ln in source.splitlines()]
    first, last = function_span(source, function)
    body = [ln for ln in diff.splitlines() if not ln.startswith(("---", "+++", "@@"))]
    old_side = [ln for ln in body if ln.startswith((" ", "-")) or ln == ""]
    offset = next((i for i, ln in enumerate(old_side) if ln.startswith("-")), 0)
    wanted = [ln[1:].strip() for ln in old_side]
    for start in range(first - 1, last):
        if lines[start : start + len(wanted)] == wanted:
            return start + offset + 1
    return first


def is_equivalent(survivor: Survivor, equivalents: list[Equivalent]) -> str | None:
    """The listed reason when ``survivor`` is a known equivalent mutant."""
    before, after = changed_lines(survivor.diff)
    for e in equivalents:
        if e.function == survivor.function and e.before == before and e.after == after:
            return e.reason
    return None


def prepare(target: Target) -> Path:
    """A fresh copy of the project for ``target`` with its mutmut settings."""
    work = WORK / target.name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.db", "*.db-*")
    for name in COPIED:
        shutil.copytree(ROOT / name, work / name, ignore=ignore)
    shutil.copy2(ROOT / "README.md", work / "README.md")
    settings = {
        "source_paths": ["bot", "adapters", "conversations"],
        "only_mutate": sorted(target.functions),
        "pytest_add_cli_args_test_selection": target.tests,
        "pytest_add_cli_args": PYTEST_ARGS,
        "also_copy": list(ALSO_COPIED),
        "do_not_mutate_patterns": SKIPPED_LINES,
        "use_git_change_detection": False,
    }
    text = (ROOT / "pyproject.toml").read_text("utf-8") + "\n[tool.mutmut]\n"
    for key, value in settings.items():
        text += f"{key} = {_toml(value)}\n"
    (work / "pyproject.toml").write_text(text, "utf-8")
    return work


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "'" + str(value) + "'"  # literal string: regexes keep their backslashes


@contextmanager
def _inside(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run_target(target: Target, equivalents: list[Equivalent], jobs: int) -> Score:
    """Mutate ``target``'s functions, run its tests against each mutant and score it."""
    started = time.monotonic()
    work = prepare(target)
    globs = [mutant_glob(f, fn) for f, fns in target.functions.items() for fn in fns]
    log_path = work / "mutmut.log"
    with log_path.open("w") as log:
        code = subprocess.call(  # noqa: S603 - the venv's own mutmut
            [sys.executable, "-c", RUN_MUTMUT, "run", "--max-children", str(jobs), *globs],
            cwd=work,
            stdout=log,
            stderr=log,
        )
    if code != 0:
        tail = log_path.read_text("utf-8", errors="replace").replace("\r", "\n").splitlines()[-30:]
        print("\n".join(tail))
        raise SystemExit(f"mutmut failed on {target.name} (exit {code}); the full log: {log_path}")
    score = collect(target, work, globs, equivalents)
    score.seconds = time.monotonic() - started
    return score


def collect(target: Target, work: Path, globs: list[str], equivalents: list[Equivalent]) -> Score:
    """Read mutmut's results for the selected functions in ``work``."""
    from fnmatch import fnmatch

    from mutmut.configuration import reset_config
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    score = Score(target.name)
    with _inside(work):
        reset_config()
        for file in sorted(target.functions):
            data = SourceFileMutationData(path=Path(file))
            data.load()
            source = (ROOT / file).read_text("utf-8")
            for name, exit_code in sorted(data.exit_code_by_key.items(), key=lambda kv: _order(kv[0])):
                if not any(fnmatch(name, g) for g in globs):
                    continue
                status = status_by_exit_code[exit_code]
                if status in KILLED:
                    score.killed += 1
                elif status in SURVIVED:
                    diff = get_diff_for_mutant(name, path=Path(file))
                    function = function_of(name)
                    survivor = Survivor(name, status, file, locate(source, function, diff), function, diff)
                    survivor.reason = is_equivalent(survivor, equivalents)
                    score.survivors.append(survivor)
                else:
                    score.other[status] = score.other.get(status, 0) + 1
    return score


def _order(name: str) -> tuple[str, int]:
    stem, _, number = name.rpartition("__mutmut_")
    return stem, int(number) if number.isdigit() else 0


def report(score: Score) -> None:
    """Print one target's survivors and equivalents."""
    print(f"\n=== {score.target}")
    for s in sorted(score.survivors, key=lambda s: (s.reason is not None, s.file, s.line)):
        label = f"equivalent: {s.reason}" if s.reason else s.status
        print(f"\n{s.file}:{s.line}  {s.function}  [{label}]  ({s.name.rpartition('.')[2]})")
        if s.reason is None:
            print("\n".join("    " + ln for ln in s.diff.splitlines() if not ln.startswith(("---", "+++"))))
    print(f"\n{score.line()}")


def main(argv: list[str]) -> int:
    """Run the chosen targets (all by default) and print the scores."""
    targets = load_targets()
    parser = argparse.ArgumentParser(prog="dev.py mutate", description=(__doc__ or "").splitlines()[0])
    names = ", ".join(t.name for t in targets)
    parser.add_argument("targets", nargs="*", help=f"targets to run (default: all): {names}")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested in parallel (default 2)")
    args = parser.parse_args(argv)
    unknown = set(args.targets) - {t.name for t in targets}
    if unknown:
        parser.error(f"unknown target(s): {', '.join(sorted(unknown))}")
    chosen = [t for t in targets if not args.targets or t.name in args.targets]
    missing = missing_functions(chosen)
    if missing:  # a renamed function would silently drop out of the run
        raise SystemExit("targets.toml names functions the code does not define:\n  " + "\n  ".join(missing))
    equivalents = load_equivalents()
    scores = []
    for target in chosen:
        print(f"mutating {target.name} ...", flush=True)
        score = run_target(target, equivalents, args.jobs)
        report(score)
        scores.append(score)
    print("\nscores (killed, survived, equivalent, total, time):")
    for score in scores:
        print(f"  {score.line()}")
    return 1 if any(score.survived for score in scores) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
