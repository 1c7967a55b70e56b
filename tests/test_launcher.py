"""The `./knownfix` launcher and `scripts/test`: install once, extras only ever add.

The launchers run from a copy of the checkout with KNOWNFIX_VENV in a temporary folder, so the project's own
.venv is never touched. `python3` and the venv's python are a shim that records what it was asked to do: the
launcher's job under test is deciding when to install and what, not pip itself.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO

SHIM = """#!/usr/bin/env bash
# Stands in for python3 and for the venv's python; writes one line to $FAKE_PYTHON_LOG per request.
set -euo pipefail
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin"
  cp "$0" "$3/bin/python"
  printf '#!/bin/sh\\necho "knownfix (fake) $*"\\n' > "$3/bin/knownfix"
  chmod +x "$3/bin/knownfix"
  echo "venv" >> "$FAKE_PYTHON_LOG"
elif [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  shift 2
  case " $* " in *" --upgrade pip "*) exit 0 ;; esac
  [ -z "${FAKE_PIP_FAIL:-}" ] || exit 1
  if [ -n "${FAKE_PIP_FAIL_TIMES:-}" ]; then  # fail this many times, then succeed (a download cut short)
    echo "attempt" >> "$FAKE_PYTHON_LOG"
    [ "$(grep -c '^attempt$' "$FAKE_PYTHON_LOG")" -gt "$FAKE_PIP_FAIL_TIMES" ] || exit 1
  fi
  echo "install ${*: -1}" >> "$FAKE_PYTHON_LOG"
else
  echo "python $*" >> "$FAKE_PYTHON_LOG"
fi
"""


class Checkout:
    """A copy of the launchers and pyproject.toml, with a venv of its own and a log of what was asked."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "scripts").mkdir(parents=True)
        for name in ("knownfix", "scripts/test", "pyproject.toml"):
            shutil.copy2(REPO / name, root / name)
        self.shim = root / "python3-shim"
        self.shim.write_text(SHIM, encoding="utf-8")
        self.shim.chmod(0o755)
        self.log = root / "asked.log"
        self.log.touch()
        self.venv = root / "venv"

    def run(
        self, *command: str, extras: str | None = None, fail_pip: bool = False, pip_fails: int = 0
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "KNOWNFIX_EXTRAS"}
        env |= {"KNOWNFIX_VENV": str(self.venv), "PYTHON": str(self.shim), "FAKE_PYTHON_LOG": str(self.log)}
        env |= {"KNOWNFIX_INSTALL_RETRY_PAUSE": "0"}
        if pip_fails:
            env["FAKE_PIP_FAIL_TIMES"] = str(pip_fails)
        if extras is not None:
            env["KNOWNFIX_EXTRAS"] = extras
        if fail_pip:
            env["FAKE_PIP_FAIL"] = "1"
        return subprocess.run(
            [str(self.root / command[0]), *command[1:]], capture_output=True, text=True, timeout=60, env=env
        )

    def asked(self, kind: str) -> list[str]:
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [line.removeprefix(kind + " ") for line in lines if line.startswith(kind + " ") or line == kind]

    def installs(self) -> list[str]:
        """What each install asked for: "" for the package alone, else its extras as written in the spec."""
        return [spec.removeprefix(str(self.root)).strip("[]") for spec in self.asked("install")]


@pytest.fixture
def checkout(tmp_path: Path) -> Checkout:
    return Checkout(tmp_path / "checkout")


def test_alternating_knownfix_and_scripts_test_installs_once(checkout: Checkout) -> None:
    for command in (["scripts/test", "-q"], ["knownfix", "--version"]) * 3:
        proc = checkout.run(*command)
        assert proc.returncode == 0, proc.stderr
    assert checkout.asked("venv") == ["venv"]
    assert checkout.installs() == ["dev,verify"]
    # scripts/test runs pytest with the venv it installed into, not a hard-coded .venv
    assert checkout.asked("python") == ["-m pytest -q"] * 3


def test_extras_only_add_and_a_subset_installs_nothing(checkout: Checkout) -> None:
    for extras in ("", "dev", "verify", "verify, dev", "dev", ""):
        proc = checkout.run("knownfix", "--version", extras=extras)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == "knownfix (fake) --version\n"
    assert checkout.installs() == ["", "dev", "dev,verify"]


def test_a_pyproject_change_reinstalls_the_union(checkout: Checkout) -> None:
    checkout.run("knownfix", "--version", extras="dev,verify")
    pyproject = checkout.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + "\n# a new dependency\n", encoding="utf-8")
    checkout.run("knownfix", "--version")
    checkout.run("knownfix", "--version", extras="dev")
    assert checkout.installs() == ["dev,verify", "dev,verify"]


def test_a_failed_install_is_tried_again(checkout: Checkout) -> None:
    assert checkout.run("knownfix", "--version", extras="dev", fail_pip=True).returncode != 0
    assert checkout.run("knownfix", "--version").returncode == 0
    assert checkout.installs() == [""]  # no stamp was written for the failed install, so this one installs


def test_an_install_cut_short_is_retried_within_the_same_call(checkout: Checkout) -> None:
    result = checkout.run("knownfix", "--version", pip_fails=2)
    assert result.returncode == 0, result.stderr
    assert "trying again" in result.stderr
    assert checkout.installs() == [""]
    assert checkout.run("knownfix", "--version").returncode == 0
    assert checkout.installs() == [""]  # the retried install wrote its stamp


def test_an_install_that_keeps_failing_gives_up_after_three_attempts(checkout: Checkout) -> None:
    result = checkout.run("knownfix", "--version", pip_fails=3)
    assert result.returncode != 0
    assert checkout.asked("attempt") == ["attempt"] * 3
    assert checkout.installs() == []


def test_a_stamp_written_by_the_previous_launcher_is_understood(checkout: Checkout) -> None:
    """An existing .venv stamped `<hash> dev,verify` must not reinstall after the launcher changes."""
    checkout.run("knownfix", "--version")  # creates the venv
    digest = hashlib.sha256((checkout.root / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (checkout.venv / ".knownfix-installed").write_text(f"{digest} dev,verify\n", encoding="utf-8")
    checkout.run("scripts/test")
    checkout.run("knownfix", "--version")
    assert checkout.installs() == [""]
