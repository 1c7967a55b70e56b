"""The asker's environment read from real pastes (tests/fixtures/environment/, each with its source URL in
that folder's README): collect_env, pip list / freeze, conda list, nvidia-smi, the Hugging Face env
commands and ComfyUI's Error Report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bot.environment
from bot.environment import MAX_SCAN_CHARS, MAX_SCAN_LINES, Environment, describe, parse_environment
from bot.knowledge.patterns import search_shape_problem

PASTES = Path(__file__).parent / "fixtures" / "environment"


def pasted(name: str) -> Environment:
    return parse_environment((PASTES / name).read_text(encoding="utf-8"))


def test_every_fixture_is_listed_with_its_source_url() -> None:
    readme = (PASTES / "README.md").read_text(encoding="utf-8")
    for path in PASTES.glob("*.txt"):
        row = next((line for line in readme.splitlines() if f"`{path.name}`" in line), "")
        assert re.search(r"https://github\.com/\S+/(issues|pull)/\d+", row), path.name


# -- python -m torch.utils.collect_env -------------------------------------------------------------------


def test_collect_env_on_windows_gives_torch_its_cuda_build_driver_and_gpu() -> None:
    env = pasted("collect_env_windows_cu126.txt")
    assert env.version_of("torch") == "2.7.0+cu126"
    assert env.cuda == "12.6"  # "CUDA used to build PyTorch", not the toolkit's "CUDA runtime version" 12.3
    assert env.python == "3.10.17"
    assert env.os == "Microsoft Windows 10 Home"
    assert env.driver == "560.94"
    assert env.gpus == ("NVIDIA GeForce GTX 1070",)
    assert "collect_env" in env.formats


def test_collect_env_on_macos_without_cuda_reads_the_pip_rows() -> None:
    env = pasted("collect_env_macos_torch222.txt")
    assert env.version_of("torch") == "2.2.2"
    assert env.cuda is None and env.driver is None and env.gpus == ()  # "None", "No CUDA": nothing pasted
    assert env.python == "3.10.13"  # the line an e-mail client wrapped still gives its version
    assert env.os == "macOS 14.5"
    assert env.version_of("numpy") == "1.26.4"
    assert env.version_of("onnxruntime") == "1.19.2"


def test_collect_env_of_pytorch_1_7_on_colab() -> None:
    env = pasted("collect_env_colab_cu101.txt")
    assert (env.version_of("torch"), env.cuda, env.python) == ("1.7.0+cu101", "10.1", "3.6")
    assert env.gpus == ("Tesla T4",) and env.driver == "418.67"


def test_collect_env_of_a_rocm_build() -> None:
    env = pasted("collect_env_rocm.txt")
    assert env.version_of("torch") == "1.7.0a0+9ddd3df"  # "PyTorch version" wins over the later pip row
    assert env.rocm == "3.7.20315-077bcfa0" and env.cuda is None
    assert env.version_of("torchvision") == "0.8.0a0+a4736ea"


def test_collect_env_conda_rows_give_the_cuda_of_the_conda_build() -> None:
    env = pasted("collect_env_conda_libraries.txt")
    assert env.version_of("torch") == "1.4.0"
    assert env.version_of("pytorch") == "1.4.0"  # conda's name for the same package
    assert env.cuda == "10.1"  # from the build string py3.7_cuda10.1.243_cudnn7.6.3_0
    assert env.version_of("cudatoolkit") == "10.1.243"
    assert env.version_of("mkl_fft") == "1.0.15"


# -- pip and conda -------------------------------------------------------------------------------------------


def test_pip_list_rows_after_the_header() -> None:
    env = pasted("pip_list_impress.txt")
    assert env.version_of("accelerate") == "0.22.0"
    assert env.version_of("huggingface_hub") == "0.16.4"  # names compare as pip normalises them
    assert env.version_of("GitPython") == "3.1.37"
    assert env.version_of("package") is None  # the header is not a package
    assert len(env.packages) == 37


def test_pip_freeze_lines_in_a_fenced_block_beside_a_traceback() -> None:
    env = pasted("pip_freeze_accelerate.txt")
    assert dict(env.packages) == {"accelerate": "1.10.0", "safetensors": "0.6.1", "transformers": "4.53.1"}


def test_conda_list_with_its_header() -> None:
    env = pasted("conda_list_windows.txt")
    assert env.version_of("cuda-cudart") == "12.1.105"
    assert env.version_of("charset-normalizer") == "2.0.4"
    assert env.version_of("name") is None and len(env.packages) == 15


def test_conda_rows_without_the_header_and_the_cuda_of_the_pytorch_build() -> None:
    env = pasted("conda_list_grep_pytorch.txt")
    assert env.version_of("torch") == "1.11.0"
    assert env.cuda == "11.3"
    assert env.version_of("torchaudio") == "0.11.0"


def test_a_printed_table_of_numbers_is_not_a_conda_list() -> None:
    frame = "      a    b\n0    1.0  4.0\n1    2.0  5.0\nrow1    0    5\nrow2    0    6\n"
    assert parse_environment(frame).packages == ()


# -- nvidia-smi ------------------------------------------------------------------------------------------


def test_nvidia_smi_table_gives_the_driver_its_cuda_and_the_gpu() -> None:
    env = pasted("nvidia_smi_p100.txt")
    assert env.driver == "515.65.01"
    assert env.driver_cuda == "11.7"  # the newest CUDA the driver supports, not a torch build
    assert env.cuda is None
    assert env.gpus == ("Tesla P100-PCIE...",)


def test_nvidia_smi_table_of_the_kmd_drivers() -> None:
    env = pasted("nvidia_smi_kmd.txt")
    assert (env.driver, env.driver_cuda) == ("610.43.03", "13.3")
    assert env.gpus == ("NVIDIA GeForce RTX 3080 ...",)


def test_nvidia_smi_query_form() -> None:
    env = pasted("nvidia_smi_query.txt")
    assert (env.driver, env.driver_cuda, env.gpus) == ("450.66", "11.0", ("GeForce GTX 780",))


# -- transformers-cli env, huggingface-cli env, ComfyUI -------------------------------------------------------


def test_transformers_cli_env() -> None:
    env = pasted("transformers_cli_env.txt")
    assert env.version_of("transformers") == "4.38.2"
    assert env.version_of("torch") == "2.2.1+cu121" and env.cuda == "12.1"
    assert env.version_of("huggingface-hub") == "0.21.4"
    assert env.version_of("accelerate") == "0.28.0"
    assert env.version_of("tensorflow") is None  # "not installed (NA)"
    assert env.python == "3.10.12" and env.os == "Linux"


def test_huggingface_cli_env() -> None:
    env = pasted("huggingface_cli_env.txt")
    assert env.version_of("huggingface_hub") == "0.14.1"
    assert env.version_of("torch") is None  # "Torch: N/A"
    assert env.python == "3.10.11" and env.os == "Linux"


def test_comfyui_error_report() -> None:
    env = pasted("comfyui_error_report.txt")
    assert env.version_of("torch") == "2.4.1+cu124" and env.cuda == "12.4"
    assert env.python == "3.11.9"
    assert env.os == "Windows"  # ComfyUI prints os.name: "nt"
    assert env.gpus == ("NVIDIA GeForce RTX 2060",)
    assert env.version_of("comfyui") == "0.2.3-18-g518c0dc"


# -- the short description replies show -------------------------------------------------------------------


def test_describe_names_torch_with_its_cuda_build_first() -> None:
    assert describe(pasted("collect_env_windows_cu126.txt")) == (
        "torch 2.7.0 + CUDA 12.6, Python 3.10.17, Microsoft Windows 10 Home, NVIDIA GeForce GTX 1070 (driver 560.94)"
    )
    assert describe(pasted("transformers_cli_env.txt"), ["transformers"]).startswith(
        "torch 2.2.1 + CUDA 12.1, transformers 4.38.2, Python 3.10.12"
    )


def test_a_traceback_alone_states_no_environment() -> None:
    traceback = (Path(__file__).parent.parent / "examples" / "mat1-mat2-traceback.txt").read_text(encoding="utf-8")
    env = parse_environment(traceback)
    assert env.empty and describe(env) == ""


# -- hostile input: bounded, linear ---------------------------------------------------------------------------


def test_no_pattern_of_the_parser_has_a_quadratic_shape() -> None:
    patterns = [v for v in vars(bot.environment).values() if isinstance(v, re.Pattern)]
    assert len(patterns) >= 12  # the walk reached the module's patterns
    assert {
        p.pattern: search_shape_problem(p.pattern, p.flags)
        for p in patterns
        if search_shape_problem(p.pattern, p.flags)
    } == {}


def test_only_the_head_of_a_huge_paste_is_read() -> None:
    late = "\n" * MAX_SCAN_CHARS + "PyTorch version: 2.1.2\n"
    assert parse_environment("PyTorch version: 1.13.1\n" + late).version_of("torch") == "1.13.1"
    assert parse_environment(late).version_of("torch") is None


def test_a_flood_of_package_lines_is_capped() -> None:
    env = parse_environment("\n".join(f"pkg{i}==1.{i}" for i in range(MAX_SCAN_LINES + 500)))
    assert len(env.packages) == MAX_SCAN_LINES


def test_names_repeated_in_the_reply_carry_no_mention_link_or_markdown() -> None:
    env = parse_environment(
        "OS: @everyone <@123> [Ubuntu](https://evil.example) **22.04**\n"
        "GPU models and configuration: GPU 0: NVIDIA <@&456> `RTX` 4090\n"
        "PyTorch version: 2.1.2\n"
    )
    assert env.os == "everyone 123 Ubuntu(https//evil.example) 22.04"
    assert env.gpus == ("NVIDIA 456 RTX 4090",)
    for text in (describe(env), *env.gpus, env.os):
        assert not set(text) & set("@<>[]*`:&")


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000,
        "PyTorch version: " + "9" * 100_000,
        "torch " + " " * 100_000 + "1.0",
        "| " * 200_000,
        "name==" + "=" * 100_000,
        ":" * 100_000,
    ],
)
def test_hostile_shapes_parse_to_something_bounded(text: str) -> None:
    env = parse_environment(text)
    assert all(len(v) <= 64 for _, v in env.packages)
    assert env.python is None
