"""Every data file the bot reads ships in the installed package (the Docker image runs `pip install .`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tracked_data_files() -> list[Path]:
    tracked = subprocess.run(["git", "ls-files", "bot"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [Path(p) for p in tracked.stdout.split() if not p.endswith(".py")]


def test_pyproject_lists_every_data_file_of_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = config["tool"]["setuptools"]["package-data"]
    data = _tracked_data_files()
    assert data  # weights.toml at least
    for path in data:
        package = ".".join(path.parent.parts)
        assert path.name in listed.get(package, []), f"{path} is read at run time but not in package-data"


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git checkout")
def test_a_built_wheel_holds_the_data_files(tmp_path: Path) -> None:
    # Built from a copy of the tracked files: setuptools reuses a checkout's build/ folder, which may still
    # hold files an older package-data listed.
    source = tmp_path / "src"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in tracked.stdout.splitlines():
        if name.startswith(("bot/", "pyproject.toml", "README")):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / name, source / name)
    out = tmp_path / "wheel"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {built.stderr[-300:]}")
    names = set(zipfile.ZipFile(next(out.glob("*.whl"))).namelist())
    for path in _tracked_data_files():
        assert path.as_posix() in names, f"{path} missing from the wheel"
