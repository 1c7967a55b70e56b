"""Reproducers raise the same error on every x86-64 machine, not only on the one they were written on.

Two things made `kb verify` pass on one machine and fail on another:

- The CPU. PyTorch sends a half or bfloat16 convolution or matmul to oneDNN only when oneDNN reports
  hardware support for that type (AVX512-FP16 / AMX-FP16 or AVX-NE-CONVERT for half, AVX-512 BW/VL/DQ
  for bfloat16), and to its own kernels otherwise, and the two paths word the same mistake differently.
  oneDNN honours ONEDNN_MAX_CPU_ISA and ATen honours ATEN_CPU_CAPABILITY, so capping both makes this
  machine take the paths an older or different CPU takes. The variables are set inside the reproducer,
  before torch loads, so they reach the library whatever environment `kb verify` gives its children.
- The packaging tools in the virtualenv. A fresh `python -m venv` gets pip and setuptools from
  ensurepip, offline: setuptools 65.5 without `wheel` on Python 3.11, no setuptools at all from 3.12.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.knowledge.model import Entry, Reproducer
from bot.verify import Outcome, verify_entries

# ONEDNN_MAX_CPU_ISA / ATEN_CPU_CAPABILITY values, one per class of x86-64 CPU that takes its own paths.
EMULATED_CPUS = {
    # AMD EPYC Zen 4/5 and Intel Xeon before Sapphire Rapids: AVX-512 with bf16/VNNI but no FP16, so
    # bfloat16 goes to oneDNN and half to ATen's own kernels.
    "avx512-without-fp16": {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_BF16", "ATEN_CPU_CAPABILITY": "avx512"},
    # AVX2-only CPUs (older EPYC and Xeon, most desktops): half and bfloat16 both take ATen's kernels.
    "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"},
}

# A reproducer normally takes well under 10 s; this bound only stops a hung one.
REPRODUCER_TIMEOUT_S = 120

# A half input into a bias-free float32 Conv2d: the bias check (a plain dtype comparison) cannot fire,
# so the backend the CPU selects is the first to see the mismatch.
HALF_INTO_BIAS_FREE_CONV = """
import torch
import torch.nn as nn
nn.Conv2d(3, 8, kernel_size=3, bias=False)(torch.randn(2, 3, 16, 16).half())
"""


def on_emulated_cpu(code: str, cpu: str) -> str:
    """`code` with the CPU caps of `cpu` set before anything imports torch."""
    caps = EMULATED_CPUS[cpu]
    return f"import os\nos.environ.update({caps!r})\n" + code


# The CPU decides the path only for half and bfloat16 work: PyTorch sends float32 to oneDNN on every
# x86-64 CPU and float64 and integers to its own kernels, whatever the CPU (ConvParams::use_mkldnn,
# mkldnn_fp16_device_check / mkldnn_bf16_device_check). Only reproducers that touch those types can
# print a CPU-dependent message, and running just them keeps this test short.
LOW_PRECISION_CODE = re.compile(r"\b(?:half|float16|bfloat16|autocast)\b")


def torch_reproducers(engine: Engine) -> list[Entry]:
    return [e for e in engine.kb.entries if e.reproducer and "torch" in e.reproducer.requires]


def low_precision_torch_reproducers(engine: Engine) -> list[Entry]:
    return [e for e in torch_reproducers(engine) if e.reproducer and LOW_PRECISION_CODE.search(e.reproducer.code)]


def with_code(entry: Entry, code: str) -> Entry:
    assert entry.reproducer is not None
    return dataclasses.replace(entry, reproducer=dataclasses.replace(entry.reproducer, code=code))


def run_python_file(python: str, code: str, cwd: Path) -> str:
    script = cwd / "reproducer.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(
        [python, str(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=REPRODUCER_TIMEOUT_S
    )
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def torch_available() -> None:
    pytest.importorskip("torch")


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize("cpu", sorted(EMULATED_CPUS))
def test_the_cpu_caps_take_effect(bundled_engine: Engine, cpu: str, tmp_path: Path) -> None:
    """Without this the CPU tests below could pass because the caps were ignored."""
    output = run_python_file(sys.executable, on_emulated_cpu(HALF_INTO_BIAS_FREE_CONV, cpu), tmp_path)
    # ATen's own kernel checks the weight's dtype when it reads it (TensorImpl::data_ptr<Half>).
    assert "RuntimeError: expected scalar type Half but found Float" in output
    # The generic dtype message, so the generic dtype entry, even with conv frames above it.
    result = bundled_engine.match(output, top=3)
    assert result.best is not None
    assert result.best.entry.id == "pytorch/dtype-float-double-mismatch"


@pytest.mark.usefixtures("torch_available")
@pytest.mark.parametrize("cpu", sorted(EMULATED_CPUS))
def test_torch_reproducers_reproduce_on_other_cpus(bundled_engine: Engine, cpu: str) -> None:
    entries = [
        with_code(e, on_emulated_cpu(e.reproducer.code, cpu))
        for e in low_precision_torch_reproducers(bundled_engine)
        if e.reproducer
    ]
    assert any(e.id == "pytorch/input-weight-type-mismatch" for e in entries)
    verdicts = verify_entries(bundled_engine, entries, timeout=REPRODUCER_TIMEOUT_S)
    failing = [
        (v.entry.id, v.outcome.value, v.detail)
        for v in verdicts
        if v.outcome not in (Outcome.REPRODUCED, Outcome.STAND_IN, Outcome.SKIPPED)
    ]
    assert failing == []


def fresh_venv_python(tmp_path: Path) -> str:
    """A `python -m venv` with what ensurepip installs, offline, and nothing else."""
    env_dir = tmp_path / "fresh-venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, capture_output=True, timeout=300)
    return str(env_dir / "bin" / "python")


def missing_modules(python: str, modules: tuple[str, ...]) -> list[str]:
    probe = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if not importlib.util.find_spec(m)))"
    proc = subprocess.run([python, "-c", probe, *modules], capture_output=True, text=True, check=True, timeout=60)
    return proc.stdout.split()


@pytest.mark.parametrize("entry_id", ["pip/failed-building-wheel", "pip/metadata-generation-failed"])
def test_pip_build_reproducers_reproduce_with_a_fresh_venvs_tools(
    bundled_engine: Engine, entry_id: str, tmp_path: Path
) -> None:
    """Whatever setuptools the interpreter has (65.5 without wheel, none, or a current one)."""
    entry = bundled_engine.kb.by_id[entry_id]
    assert entry.reproducer is not None
    python = fresh_venv_python(tmp_path)
    missing = missing_modules(python, entry.reproducer.requires)
    if missing:  # as `kb verify` skips an entry whose libraries are not installed
        pytest.skip(f"a fresh venv of this Python has no {', '.join(missing)}")
    work = tmp_path / "work"
    work.mkdir()
    output = run_python_file(python, entry.reproducer.code, work)
    result = bundled_engine.match(output, top=3)
    assert result.best is not None, output
    assert result.best.entry.id == entry_id, output


def test_reproducer_code_can_take_a_prefix(bundled_engine: Engine) -> None:
    """on_emulated_cpu puts code before the reproducer's; a __future__ import there would not compile."""
    for entry in torch_reproducers(bundled_engine):
        assert isinstance(entry.reproducer, Reproducer)
        assert "from __future__" not in entry.reproducer.code, entry.id
