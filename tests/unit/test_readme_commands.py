"""The README's command table shows commands that work after the README's set-up."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _table_commands() -> list[str]:
    section = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)


def test_the_table_uses_the_installed_console_script() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["zadarma-bot"] == "bot.__main__:main"
    commands = _table_commands()
    assert [c.split()[1] for c in commands] == ["run", "demo", "sandbox", "api", "check"]
    assert all(c.startswith(".venv/bin/zadarma-bot ") for c in commands)
    assert "python -m bot" not in README.split("## Command line", 1)[1].split("\n## ", 1)[0]


def test_the_console_script_runs_from_any_folder(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "zadarma-bot"  # the venv dev.py makes is the one running the tests
    result = subprocess.run(
        [str(script), "demo", "--db", "demo.db"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        input="/quit\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Bye." in result.stdout
    assert (tmp_path / "demo.db").is_file()
