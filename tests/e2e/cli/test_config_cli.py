"""Configuration problems at the command line: one plain line each, the same prefix, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dev

ROOT = Path(__file__).resolve().parents[3]
PREFIX = "configuration error: "


def _bot(cwd: Path, *args: str, stdin: str = "/quit\n", **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ZADARMA_", "TELEGRAM_", "SLACK_"))}
    environ.pop("DATABASE_URL", None)
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(PREFIX)
    return line


def test_demo_db_that_is_not_a_database_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "folder").mkdir()
    assert "not an SQLite database" in _one_line(_bot(tmp_path, "demo", "--db", "notes.txt"))
    assert "is a folder" in _one_line(_bot(tmp_path, "demo", "--db", "folder"))
    assert "not a folder" in _one_line(_bot(tmp_path, "demo", "--db", "notes.txt/x.db"))
    assert (tmp_path / "notes.txt").read_text() == "hello"


def test_demo_db_given_as_a_url_is_used_as_one(tmp_path: Path) -> None:
    result = _bot(tmp_path, "demo", "--db", "sqlite:///x.db")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x.db").is_file()
    assert not (tmp_path / "sqlite:").exists()


def test_run_lists_every_problem_at_once_with_one_prefix(tmp_path: Path) -> None:
    result = _bot(
        tmp_path,
        "run",
        ZADARMA_KEY="k",
        SLACK_BOT_TOKEN="xoxb-1",
        DATABASE_URL="mysql://user:hunter2@db/bot",
        TELEGRAM_ADMIN_IDS="abc",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith(PREFIX) for line in lines), lines
    text = result.stderr
    for name in (
        "DATABASE_URL",
        "TELEGRAM_ADMIN_IDS",
        "ZADARMA_SECRET",
        "SLACK_SIGNING_SECRET",
        "SLACK_ADMIN_USERS",
    ):
        assert name in text
    assert "hunter2" not in text and "Traceback" not in text and "Value error" not in text


def test_run_refuses_a_database_url_naming_a_folder(tmp_path: Path) -> None:
    env = {
        "ZADARMA_KEY": "k",
        "ZADARMA_SECRET": "s",
        "TELEGRAM_BOT_TOKEN": "1:a",
        "DATABASE_URL": "sqlite:///.",
    }
    assert "is a folder" in _one_line(_bot(tmp_path, "run", **env))


def test_dev_py_keeps_a_relative_demo_db_in_the_current_folder(tmp_path: Path) -> None:
    here = tmp_path / "work"
    assert dev.demo_args(["--db", "demo.db", "--lang", "pl"], here) == [
        "--db",
        str(here / "demo.db"),
        "--lang",
        "pl",
    ]
    assert dev.demo_args(["--db=sub/demo.db"], here) == [f"--db={here / 'sub' / 'demo.db'}"]
    assert dev.demo_args(["--db", "sqlite:///demo.db"], here) == ["--db", f"sqlite:///{here / 'demo.db'}"]
    assert dev.demo_args(["--db", "/abs/demo.db"], here) == ["--db", "/abs/demo.db"]
    assert dev.demo_args(["--lang", "en"], here) == ["--lang", "en"]
