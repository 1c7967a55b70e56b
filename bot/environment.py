"""The asker's environment: the versions people paste alongside an error, read from the tools' own output.

Recognised: `python -m torch.utils.collect_env`, `pip list`, `pip freeze`, `conda list` (with or without its
header), `nvidia-smi` (the table and `-q`), `transformers-cli env` / `huggingface-cli env`, and ComfyUI's
"Error Report". Discord-free and pure: text in, an `Environment` out.

The input is bounded (the head of the message, each line cut) and read line by line with string operations
and anchored regexes whose runs cannot overlap, so the work is linear in the text and small.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from bot.knowledge.model import VersionRange

# An environment block sits near the error, and `pip list` / `conda list` rarely pass a few hundred lines:
# the head of the paste is read, never a whole 50 MB log.
MAX_SCAN_CHARS = 64 * 1024
# ... and at most this many of its lines: a 500-package `conda list` and collect_env together fit, and a paste
# of thousands of tiny lines (fences, error lines) costs a few milliseconds, not tens. One package a line at
# most, so this also bounds how many packages an environment holds.
MAX_SCAN_LINES = 1_000
# Tool output lines are short; a longer one is a log line, and its head says all a version needs.
MAX_LINE_CHARS = 400
# Machines with more GPUs print them all; the reply names a few.
MAX_GPUS = 8
# A key of a `Key: value` line is a few words; a colon further in is part of a sentence or a log line.
MAX_KEY_CHARS = 60
# Names and versions of pasted packages are short; anything longer is not one.
MAX_VERSION_CHARS = 64

# Every pattern is anchored or searches a capped line, and no two adjacent runs share characters.
_VERSION = re.compile(r"v?([0-9][0-9A-Za-z.+!_-]{0,63})")
_FREEZE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]{0,99})==([0-9][0-9A-Za-z.+!_-]{0,63})$")
_ROW = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]{0,99})[ \t]+([0-9][0-9A-Za-z.+!_-]{0,63})(?:[ \t]+(\S{1,200}))?")
_PIP_LIST_HEADER = re.compile(r"Package[ \t]+Version\b")
_CONDA_HEADER = re.compile(r"#[ \t]*Name[ \t]+Version[ \t]+Build\b")
_CONDA_PREFIX = re.compile(r"\[(?:conda|pip3?)\][ \t]")
_SMI_DRIVER = re.compile(r"(?:Driver|KMD) Version: ([0-9][0-9.]{0,30})")
_SMI_CUDA = re.compile(r"CUDA (?:UMD )?Version: ([0-9][0-9.]{0,30})")
_SMI_GPU_ROW = re.compile(r"\|[ \t]{1,8}[0-9]{1,3}[ \t]{1,8}([^|]{1,120})\|")
_GPU_INDEX = re.compile(r"GPU [0-9]{1,3}: ([^(\n]{1,120})")
_LOCAL_CUDA = re.compile(r"\+cu([0-9]{2,3})\b")
_BUILD_CUDA = re.compile(r"cuda([0-9]{1,2}\.[0-9]{1,2})")
_MULTI_SPACE_GAP = re.compile(r"\S[ \t]{2,}\S")
# Free text the reply repeats (an OS or GPU name) keeps only the characters such names use: no mention,
# link or Markdown a paste could smuggle into the bot's reply.
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9 ._()+,/-]")

# Package names as the tools print them that mean one package: conda's `pytorch` is pip's `torch`.
_ALIASES = {"pytorch": "torch", "tensorflow-gpu": "tensorflow", "jaxlib": "jaxlib", "opencv": "opencv-python"}

# `Key: value` lines of collect_env, transformers-cli / huggingface-cli env, nvidia-smi -q and ComfyUI's
# report, keyed by the key lower-cased without Markdown; the value is a field or a package name.
_FIELDS = {
    "pytorch version": "torch",
    "pytorch version (gpu?)": "torch",
    "torch": "torch",
    "python version": "python",
    "os": "os",
    "platform": "os",
    "cuda used to build pytorch": "cuda",
    "rocm used to build pytorch": "rocm",
    "nvidia driver version": "driver",
    "driver version": "driver",
    "gpu models and configuration": "gpu",
    "product name": "gpu",
    "name": "gpu",
    "transformers version": "transformers",
    "huggingface_hub version": "huggingface-hub",
    "safetensors version": "safetensors",
    "accelerate version": "accelerate",
    "tensorflow version (gpu?)": "tensorflow",
    "tensorflow": "tensorflow",
    "flax version (cpu?/gpu?/tpu?)": "flax",
    "jax version": "jax",
    "jaxlib version": "jaxlib",
    "diffusers version": "diffusers",
    "xformers version": "xformers",
    "numpy version": "numpy",
    "comfyui version": "comfyui",
    "jinja2": "jinja2",
    "pillow": "pillow",
    "gradio": "gradio",
    "fastai": "fastai",
}
_SCALAR_FIELDS = ("python", "os", "cuda", "rocm", "driver")
# ComfyUI prints `os.name`; collect_env and the Hugging Face tools print the system's name.
_OS_NAMES = {"nt": "Windows", "win32": "Windows", "darwin": "macOS"}


@dataclass(frozen=True, slots=True)
class Environment:
    """What the asker's paste says about their machine; every field is None (or empty) when it does not say."""

    python: str | None = None
    os: str | None = None
    cuda: str | None = None  # the CUDA the torch build was made for ("12.1"), not the machine's toolkit
    rocm: str | None = None
    driver: str | None = None  # the NVIDIA driver version
    driver_cuda: str | None = None  # the newest CUDA the driver supports (nvidia-smi's "CUDA Version")
    gpus: tuple[str, ...] = ()
    packages: tuple[tuple[str, str], ...] = ()  # (canonical name, version), in the order pasted
    formats: tuple[str, ...] = ()  # the outputs recognised: collect_env, pip, conda, nvidia-smi, hf-env, comfyui

    @property
    def empty(self) -> bool:
        return not (self.python or self.os or self.cuda or self.driver or self.gpus or self.packages)

    def version_of(self, name: str) -> str | None:
        """The asker's version of a package, of `python` or of `cuda` (the torch build's), if pasted."""
        wanted = _canonical(name)
        if wanted == "python":
            return self.python
        if wanted == "cuda":
            return self.cuda
        return next((version for package, version in self.packages if package == wanted), None)

    def as_json(self) -> dict[str, object]:
        return {
            "python": self.python,
            "os": self.os,
            "cuda": self.cuda,
            "rocm": self.rocm,
            "driver": self.driver,
            "driver_cuda": self.driver_cuda,
            "gpus": list(self.gpus),
            "packages": dict(self.packages),
            "formats": list(self.formats),
        }


class _Reading:
    """What has been read so far; the first value seen for a field or a package is kept."""

    def __init__(self) -> None:
        self.scalars: dict[str, str] = {}
        self.driver_cuda: str | None = None
        self.gpus: dict[str, None] = {}
        self.packages: dict[str, str] = {}
        self.formats: dict[str, None] = {}

    def scalar(self, field: str, value: str) -> None:
        self.scalars.setdefault(field, value)

    def gpu(self, name: str) -> None:
        name = plain(name)
        if name and len(self.gpus) < MAX_GPUS:
            self.gpus.setdefault(name, None)

    def package(self, name: str, version: str, build: str | None = None) -> None:
        key = _canonical(name)
        # A conda row may repeat a package pip already listed, and only its build string names the CUDA.
        cuda = _cuda_of_build(version, build) if key == "torch" else version if key == "pytorch-cuda" else None
        if cuda:
            self.scalar("cuda", cuda)
        self.packages.setdefault(key, version)

    def environment(self) -> Environment:
        s = self.scalars
        return Environment(
            python=s.get("python"),
            os=s.get("os"),
            cuda=s.get("cuda"),
            rocm=s.get("rocm"),
            driver=s.get("driver"),
            driver_cuda=self.driver_cuda,
            gpus=tuple(self.gpus),
            packages=tuple(self.packages.items()),
            formats=tuple(self.formats),
        )


def plain(text: str) -> str:
    """A name from the paste as the reply may show it: plain characters, one line, short."""
    return " ".join(_NOT_PLAIN.sub("", text[:MAX_VERSION_CHARS]).split())


def _canonical(name: str) -> str:
    key = canonicalize_name(name)
    return _ALIASES.get(key, key)


def _cuda_of_build(version: str, build: str | None) -> str | None:
    """The CUDA a torch build was made for, from its local tag (`2.1.2+cu121`) or conda build string."""
    local = _LOCAL_CUDA.search(version)
    if local:
        digits = local.group(1)
        return f"{digits[:-1]}.{digits[-1]}"
    conda = _BUILD_CUDA.search(build or "")
    return conda.group(1) if conda else None


def _version_at_start(value: str) -> str | None:
    """The version a value starts with (`3.10.12 (main, ...)` -> `3.10.12`), None for `N/A`, `None`, ..."""
    found = _VERSION.match(value)
    return found.group(1).rstrip(".-_") if found else None


def _os_name(value: str) -> str:
    value = value.strip()
    if value in _OS_NAMES:
        return _OS_NAMES[value]
    head = value.split(" (", 1)[0]
    if head.startswith(("Linux-", "Windows-", "macOS-")):  # a `platform.platform()` string
        parts = head.split("-")
        return parts[0] if parts[0] != "Windows" else f"Windows {parts[1]}"
    return head[:MAX_VERSION_CHARS]


def _key_value(line: str) -> tuple[str, str] | None:
    """`Key: value`, `- Key: value`, `- **Key:** value` or `Key   : value` as (normalised key, value)."""
    colon = line.find(":", 0, MAX_KEY_CHARS + 8)
    if colon < 1:
        return None
    key = " ".join(line[:colon].replace("`", "").replace("*", "").strip(" -\t").lower().split())
    value = line[colon + 1 :].strip(" *\t")
    return (key, value) if key and len(key) <= MAX_KEY_CHARS else None


def _read_field(reading: _Reading, key: str, value: str) -> bool:
    target = _FIELDS.get(key)
    if target is None:
        gpu = _GPU_INDEX.match(f"{key.upper()}: {value}") if key.startswith("gpu ") else None
        if gpu:  # collect_env lists a second GPU as its own `GPU 1: ...` line
            reading.gpu(gpu.group(1))
        return gpu is not None
    if target == "gpu":
        return _read_gpu(reading, key, value)
    if target == "os":
        name = plain(_os_name(value)) if value and not value.startswith(("N/A", "Could not")) else ""
        if name:
            reading.scalar("os", name)
    else:
        version = _version_at_start(value)
        if version is None:
            return False
        if target in _SCALAR_FIELDS:
            reading.scalar(target, version)
        else:
            reading.package(target, version)
    return True


def _read_gpu(reading: _Reading, key: str, value: str) -> bool:
    if key == "name":  # ComfyUI's device line: `cuda:0 NVIDIA GeForce RTX 2060 : cudaMallocAsync`
        if not value.startswith("cuda:"):
            return False
        reading.gpu(value.split(" ", 1)[-1].split(" : ", 1)[0])
        return True
    listed = _GPU_INDEX.match(value)
    if listed:
        reading.gpu(listed.group(1))
    elif value and value[0].isalnum() and not value.startswith(("No CUDA", "Could not", "N/A")):
        reading.gpu(value)
    else:
        return False
    return True


def _read_smi(reading: _Reading, line: str) -> bool:
    """nvidia-smi's table: the banner with the driver and its CUDA, and one row per GPU."""
    if "NVIDIA-SMI" in line or "Driver Version:" in line or "KMD Version:" in line:
        driver = _SMI_DRIVER.search(line)
        cuda = _SMI_CUDA.search(line)
        if driver:
            reading.scalar("driver", driver.group(1))
        if cuda and reading.driver_cuda is None:
            reading.driver_cuda = cuda.group(1)
        reading.formats.setdefault("nvidia-smi", None)
        return bool(driver or cuda)
    row = _SMI_GPU_ROW.match(line) if "nvidia-smi" in reading.formats else None
    if row:
        name = row.group(1).strip().removesuffix(" Off").removesuffix(" On").strip()  # the persistence mode
        if name and not name[0].isdigit():
            reading.gpu(name)
    return row is not None


def _lines(text: str) -> Iterator[str]:
    """Lines of the paste's head, cut, without quote markers and indentation."""
    for line in itertools.islice(text[:MAX_SCAN_CHARS].splitlines(), MAX_SCAN_LINES):
        yield line[:MAX_LINE_CHARS].lstrip(" \t>").rstrip()


def _read_row(reading: _Reading, line: str, table: str | None) -> bool:
    """One package row: `name==version` anywhere; `name version` inside a pip list; conda's columns
    inside a conda list or behind collect_env's `[conda]`, or alone when padded into columns."""
    prefixed = _CONDA_PREFIX.match(line)
    body = line[prefixed.end() :].lstrip() if prefixed else line
    freeze = _FREEZE.match(body)
    if freeze:
        reading.package(freeze.group(1), freeze.group(2))
        reading.formats.setdefault("collect_env" if prefixed else "pip", None)
        return True
    row = _ROW.match(body)
    if row is None or (row.end() < len(body) and not body[row.end()].isspace()):
        return False
    columns = len(body.split())
    padded = columns in (3, 4) and _MULTI_SPACE_GAP.search(body) is not None and _looks_like_conda(body.split())
    in_table = (table == "pip" and columns in (2, 3)) or (table == "conda" and columns in (2, 3, 4))
    if in_table or prefixed or padded:
        reading.package(row.group(1), row.group(2), row.group(3))
        reading.formats.setdefault(table or "conda", None)
        return True
    return False


def _looks_like_conda(columns: list[str]) -> bool:
    """A conda row without its header (`conda list | grep torch`): a name, a dotted version, and a build
    string with letters or a channel after it. A printed table of numbers (`0   1.0   4.0`) is not one."""
    name, version, build = columns[0], columns[1], columns[2]
    return name[0].isalpha() and "." in version and (len(columns) == 4 or not build.isdigit())


# A line outside a `pip list` or `conda list` table says something only through one of these: a `Key: value`
# colon, `name==version`, conda's `[conda] ` prefix, nvidia-smi's `|` rows and banner, or the run of spaces or
# the tab of a conda row printed without its header. Every other line (a traceback's frames and code, most
# prose) leaves the reading as it was, so a paste without a table header skips it after a few substring tests
# (in C; one regex search for them all cost ten times as much).
def _may_say_something(line: str) -> bool:
    return (
        ":" in line
        or "==" in line
        or "[" in line
        or "|" in line
        or "  " in line
        or "\t" in line
        or "NVIDIA-SMI" in line
        or "NVSMI" in line
    )


# Both table headers (_PIP_LIST_HEADER, _CONDA_HEADER) hold this word; without it no line is inside a table.
_TABLE_HEADER_WORD = "Version"


def parse_environment(text: str) -> Environment:
    """Every version the paste states, from whichever of the recognised outputs it holds."""
    reading = _Reading()
    table: str | None = None  # inside a `pip list` or `conda list` after its header
    may_hold_table = _TABLE_HEADER_WORD in text[:MAX_SCAN_CHARS]
    for line in _lines(text):
        if not may_hold_table and not _may_say_something(line):
            continue
        if not line:
            table = None
            continue
        if _PIP_LIST_HEADER.match(line) or _CONDA_HEADER.match(line):
            table = "pip" if line.startswith("Package") else "conda"
            continue
        if not line.strip("-=+| \t") or line.startswith("#"):  # a table's rule, a comment
            continue
        if line.startswith("|") or "NVIDIA-SMI" in line:
            _read_smi(reading, line)
            continue
        if line.startswith("==============NVSMI LOG"):
            reading.formats.setdefault("nvidia-smi", None)
            continue
        if _read_row(reading, line, table):
            continue
        table = None
        _read_line_fields(reading, line)
    return reading.environment()


def _read_line_fields(reading: _Reading, line: str) -> None:
    pair = _key_value(line)
    if pair is None:
        return
    key, value = pair
    if key == "cuda version" and "nvidia-smi" in reading.formats:  # nvidia-smi -q: the driver's CUDA
        reading.driver_cuda = reading.driver_cuda or _version_at_start(value)
        return
    if _read_field(reading, key, value):
        reading.formats.setdefault(_format_of(key), None)


def _format_of(key: str) -> str:
    if key in ("pytorch version", "cuda used to build pytorch", "gpu models and configuration"):
        return "collect_env"
    if key in ("comfyui version", "name"):
        return "comfyui"
    if key in ("driver version", "product name"):
        return "nvidia-smi"
    if key in ("transformers version", "huggingface_hub version", "platform"):
        return "hf-env"
    return "fields"


# -- which versions a range or a list of ranges allows --------------------------------------------------


def allows(version_range: VersionRange, environment: Environment) -> bool | None:
    """Whether the asker's version of the range's library is inside it; None when they did not paste it
    (or it is not a version that PEP 440 can compare)."""
    pasted = environment.version_of(version_range.library)
    if pasted is None:
        return None
    try:
        return version_range.specifier.contains(Version(pasted), prereleases=True)
    except InvalidVersion:
        return None


def fits(ranges: Iterable[VersionRange], environment: Environment | None) -> bool | None:
    """True when every range the asker's paste can judge holds, False when one does not, None when the
    paste says nothing about any of them."""
    if environment is None:
        return None
    verdicts = [allows(r, environment) for r in ranges]
    if False in verdicts:
        return False
    return True if True in verdicts else None


# The libraries a reply always names when the asker pasted them, in this order; others follow when an
# entry's ranges or context name them.
HEADLINE_LIBRARIES = ("torch",)


def _short(version: str) -> str:
    try:
        return Version(version).public
    except InvalidVersion:
        return version


def describe(environment: Environment, libraries: Iterable[str] = ()) -> str:
    """The asker's versions in a few words: `torch 2.1.2 + CUDA 12.1, transformers 4.38.2, Python 3.10.12,
    Windows 10, NVIDIA GeForce GTX 1070 (driver 560.94)`; libraries named are added when pasted."""
    parts: list[str] = []
    names = dict.fromkeys([*HEADLINE_LIBRARIES, *(_canonical(n) for n in libraries)])
    names.pop("python", None)
    names.pop("cuda", None)
    for name in names:
        version = environment.version_of(name)
        if version is None:
            continue
        text = f"{name} {_short(version)}"
        if name == "torch":
            text += f" + CUDA {environment.cuda}" if environment.cuda else ""
            text += f" + ROCm {environment.rocm}" if environment.rocm else ""
            text += " (CPU build)" if version.endswith("+cpu") else ""
        parts.append(text)
    if environment.python:
        parts.append(f"Python {environment.python}")
    if environment.os:
        parts.append(environment.os)
    if environment.gpus:
        gpu = environment.gpus[0] + (f" (+{len(environment.gpus) - 1})" if len(environment.gpus) > 1 else "")
        parts.append(f"{gpu} (driver {environment.driver})" if environment.driver else gpu)
    elif environment.driver:
        parts.append(f"NVIDIA driver {environment.driver}")
    return ", ".join(parts)
