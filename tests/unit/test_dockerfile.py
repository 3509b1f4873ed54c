"""The image installs the package the way CI does and runs it the way the README says."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import dev

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def instructions(name: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    lines = [line.strip() for line in joined.splitlines()]
    return [line.split(None, 1)[1] for line in lines if line.upper().startswith(name + " ")]


def test_installs_the_package_from_pyproject_like_ci() -> None:
    installs = [run for run in instructions("RUN") if "pip install" in run]
    assert installs == [f"pip install {dev.package_spec('')}"], "install the package as dev.py does"
    readme = (ROOT / "README.md").read_text()
    assert f"pip install {dev.package_spec('')}" in readme
    copied = " ".join(instructions("COPY"))
    for needed in ("pyproject.toml", "bot", "adapters", "conversations"):
        assert needed in copied
    packages = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {p.rstrip("*") for p in packages} == {"bot", "adapters", "conversations"}


def test_python_version_satisfies_the_package() -> None:
    bases = re.findall(r"^FROM python:(\d+)\.(\d+)", DOCKERFILE, flags=re.MULTILINE)
    minimum = tuple(int(x) for x in PYPROJECT["project"]["requires-python"].lstrip(">=").split("."))
    assert bases and all((int(a), int(b)) >= minimum for a, b in bases)


def test_runs_as_a_non_root_user_with_a_volume_and_a_healthcheck() -> None:
    assert instructions("USER") == ["bot"]
    assert '["/data"]' in instructions("VOLUME")[0]
    assert "sqlite:////data/" in DOCKERFILE
    healthcheck = instructions("HEALTHCHECK")[0]
    assert "/healthz" in healthcheck
    assert instructions("ENTRYPOINT") == ['["python", "-m", "bot"]']
    assert instructions("CMD")[-1] == '["run"]'
