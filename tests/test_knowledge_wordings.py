"""Wordings the corpus collectors found that ranked a generic or wrong entry first, and three new entries.

Each case runs the real engine on the bundled knowledge, with the error line pasted alone and at the end of a
short traceback of the shape the library prints, so an edit that lets the neighbour win again fails here. The
wordings come from library source and public reports (each entry's `sources`); the tracebacks are our own.
"""

from __future__ import annotations

import pytest

from bot.engine import Engine

from .conftest import best_entry_id

FLASH_ATTN_1_CHECK = (
    "RuntimeError: Expected is_sm8x || is_sm75 to be true, but got false.  (Could this error message be "
    "improved?  If so, please report an enhancement request to PyTorch.)"
)
COMFYUI_IMPORT_LINE = (
    r"Cannot import D:\ComfyUI_windows_portable\ComfyUI\custom_nodes\comfyui-reactor-node module for custom nodes: "
    "No module named 'insightface'"
)

# (error line, traceback ending in it, the entry that answers it)
CASES = [
    (
        "ImportError: cannot import name 'linear_util' from 'jax' (/env/lib/python3.10/site-packages/jax/__init__.py)",
        """Traceback (most recent call last):
  File "fit.py", line 2, in <module>
    import haiku as hk
  File "/env/lib/python3.10/site-packages/haiku/__init__.py", line 20, in <module>
    from haiku import experimental
  File "/env/lib/python3.10/site-packages/haiku/_src/stateful.py", line 24, in <module>
    from jax import linear_util as lu
ImportError: cannot import name 'linear_util' from 'jax' (/env/lib/python3.10/site-packages/jax/__init__.py)""",
        "jax/jaxlib-version-mismatch",
    ),
    (
        "ModuleNotFoundError: No module named 'jax.linear_util'",
        """Traceback (most recent call last):
  File "model.py", line 4, in <module>
    from numpyro.infer import MCMC, NUTS
  File "/env/lib/python3.11/site-packages/numpyro/infer/hmc_util.py", line 8, in <module>
    import jax.linear_util as lu
ModuleNotFoundError: No module named 'jax.linear_util'""",
        "jax/jaxlib-version-mismatch",
    ),
    (
        "AttributeError: module 'jax.core' has no attribute 'CallPrimitive'",
        """Traceback (most recent call last):
  File "train.py", line 1, in <module>
    import haiku as hk
  File "/usr/local/lib/python3.6/dist-packages/haiku/_src/named_call.py", line 30, in <module>
    named_call_p = core.CallPrimitive('named_call')
AttributeError: module 'jax.core' has no attribute 'CallPrimitive'""",
        "jax/jaxlib-version-mismatch",
    ),
    (
        "NameError: name 'IProgress' is not defined",
        """Traceback (most recent call last):
  File "download.py", line 6, in <module>
    for batch in tqdm(loader):
  File "/env/lib/python3.9/site-packages/tqdm/notebook.py", line 242, in __init__
    self.container = self.status_printer(self.fp, total, self.desc, self.ncols)
  File "/env/lib/python3.9/site-packages/tqdm/notebook.py", line 115, in status_printer
    pbar = IProgress(min=0, max=total)
NameError: name 'IProgress' is not defined""",
        "jupyter/iprogress-not-found",
    ),
    (
        "NameError: name 'IntProgress' is not defined",
        """Traceback (most recent call last):
  File "epochs.py", line 3, in <module>
    for i in tqdm.tqdm_notebook(range(100)):
  File "/env/lib/python3.6/site-packages/tqdm/_tqdm_notebook.py", line 184, in __init__
    self.sp = self.status_printer(self.fp, self.total, self.desc)
  File "/env/lib/python3.6/site-packages/tqdm/_tqdm_notebook.py", line 105, in status_printer
    pbar = IntProgress(min=0, max=total)
NameError: name 'IntProgress' is not defined""",
        "jupyter/iprogress-not-found",
    ),
    (
        FLASH_ATTN_1_CHECK,
        """Traceback (most recent call last):
  File "infer.py", line 12, in <module>
    out = model.generate(**inputs)
  File "/env/lib/python3.8/site-packages/flash_attn/flash_attn_interface.py", line 21, in _flash_attn_forward
    softmax_lse, rng_state, *rest = flash_attn_cuda.fwd(
"""
        + FLASH_ATTN_1_CHECK,
        "flash-attn/ampere-gpus-only",
    ),
    (
        "ModuleNotFoundError: No module named 'openpyxl'",
        # the first half of pandas 3.1's chained traceback (real output), the part people paste
        """Traceback (most recent call last):
  File "/env/lib/python3.11/site-packages/pandas/compat/_optional.py", line 158, in import_optional_dependency
    module = importlib.import_module(name)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/lib/python3.11/importlib/__init__.py", line 126, in import_module
    return _bootstrap._gcd_import(name[level:], package, level)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "<frozen importlib._bootstrap>", line 1204, in _gcd_import
  File "<frozen importlib._bootstrap>", line 1176, in _find_and_load
  File "<frozen importlib._bootstrap>", line 1140, in _find_and_load_unlocked
ModuleNotFoundError: No module named 'openpyxl'""",
        "pandas/excel-engine-missing",
    ),
    (
        "RuntimeError: There is no current event loop in thread 'Thread-1'.",
        """Exception in thread Thread-1:
Traceback (most recent call last):
  File "/usr/lib/python3.8/threading.py", line 932, in _bootstrap_inner
    self.run()
  File "/usr/lib/python3.8/threading.py", line 870, in run
    self._target(*self._args, **self._kwargs)
  File "worker.py", line 9, in poll
    loop = asyncio.get_event_loop()
  File "/usr/lib/python3.8/asyncio/events.py", line 639, in get_event_loop
    raise RuntimeError('There is no current event loop in thread %r.'
RuntimeError: There is no current event loop in thread 'Thread-1'.""",
        "python/no-event-loop-in-thread",
    ),
    (
        "ValueError: Unsupported ONNX opset version: 18",
        """Traceback (most recent call last):
  File "export.py", line 14, in <module>
    torch.onnx.export(model, dummy, "model.onnx", opset_version=18)
  File "/env/lib/python3.10/site-packages/torch/onnx/utils.py", line 506, in export
    _export(
  File "/env/lib/python3.10/site-packages/torch/onnx/utils.py", line 1525, in _export
    GLOBALS.export_onnx_opset_version = opset_version
  File "/env/lib/python3.10/site-packages/torch/onnx/_globals.py", line 43, in export_onnx_opset_version
    raise ValueError(f"Unsupported ONNX opset version: {value}")
ValueError: Unsupported ONNX opset version: 18""",
        "pytorch/onnx-unsupported-opset-version",
    ),
]

# More wordings of the same errors, as the line alone.
LINES = [
    ("RuntimeError: Expected is_sm90 || is_sm8x || is_sm75 to be true, but got false.", "flash-attn/ampere-gpus-only"),
    ("ModuleNotFoundError: No module named 'xlrd'", "pandas/excel-engine-missing"),
    (
        "RuntimeError: There is no current event loop in thread 'ThreadPoolExecutor-0_0'.",
        "python/no-event-loop-in-thread",
    ),
    ("RuntimeError: There is no current event loop in thread 'MainThread'.", "python/no-event-loop-in-thread"),
    ("ValueError: Unsupported ONNX opset version: 16", "pytorch/onnx-unsupported-opset-version"),
    ("RuntimeError: Unsupported onnx_opset_version: 21", "pytorch/onnx-unsupported-opset-version"),
    # Indexing what plt.subplots returned for one Axes, in matplotlib before and after 3.7 and in Python 2's words.
    ("TypeError: 'AxesSubplot' object is not subscriptable", "matplotlib/subplots-axes-array"),
    ("TypeError: 'Axes' object is not subscriptable", "matplotlib/subplots-axes-array"),
    ("TypeError: 'AxesSubplot' object does not support indexing", "matplotlib/subplots-axes-array"),
    # A CUDA loss kernel's assertion on the class index: the cross-entropy entry's, not the generic device assert's.
    (
        "/pytorch/aten/src/ATen/native/cuda/Loss.cu:240: nll_loss_forward_reduce_cuda_kernel_2d: block: [0,0,0], "
        "thread: [5,0,0] Assertion `t >= 0 && t < n_classes` failed.",
        "pytorch/cross-entropy-target-out-of-bounds",
    ),
    # PyTorch 0.4-1.0's words for a Long target given to a loss that wants Float: the loss target entry's.
    (
        "RuntimeError: Expected object of type torch.FloatTensor but found type torch.LongTensor for argument #2 "
        "'target'",
        "pytorch/loss-target-dtype-float",
    ),
    (
        "RuntimeError: Expected object of type torch.cuda.FloatTensor but found type torch.cuda.LongTensor for "
        "argument #2 'target'",
        "pytorch/loss-target-dtype-float",
    ),
    # The broadcasting warning about a target's size is its own entry's, not the "loss does not go down" symptom's.
    (
        "UserWarning: Using a target size (torch.Size([32, 1])) that is different to the input size "
        "(torch.Size([32])). This will likely lead to incorrect results due to broadcasting. Please ensure they have "
        "the same size.",
        "pytorch/bce-target-size-mismatch",
    ),
]

# Descriptions with no error line: a symptom entry has nothing to paste.
DESCRIPTIONS = [
    (
        "as soon as I import jax and run one op, nvidia-smi shows 75% of the GPU memory used even for a tiny array",
        "jax/gpu-memory-preallocation",
    ),
    (
        "jax grabs 90% of my GPU memory at startup so the pytorch process next to it runs out of memory",
        "jax/gpu-memory-preallocation",
    ),
    (
        "how do I stop JAX from preallocating the whole GPU? XLA_PYTHON_CLIENT_PREALLOCATE does not seem to work",
        "jax/gpu-memory-preallocation",
    ),
]

# The neighbours keep their own errors: the new wordings must not swallow them.
NEIGHBOURS = [
    ("NameError: name 'np' is not defined", "python/name-not-defined"),
    ("NameError: name 'tqdm' is not defined", "python/name-not-defined"),
    ("ModuleNotFoundError: No module named 'torch'", "python/module-not-found"),
    ("ModuleNotFoundError: No module named 'pandas'", "python/module-not-found"),
    ("ModuleNotFoundError: No module named 'jax'", "python/module-not-found"),
    ("ImportError: cannot import name 'soft_unicode' from 'markupsafe'", "python/markupsafe-soft-unicode-removed"),
    # Jinja2 3.1's removals belong to one entry: listed in two, the line tied and no passive reply could follow.
    ("ImportError: cannot import name 'escape' from 'jinja2'", "jupyter/jinja2-contextfilter-removed"),
    ("ImportError: cannot import name 'Markup' from 'jinja2'", "jupyter/jinja2-contextfilter-removed"),
    ("AttributeError: module 'numpy' has no attribute 'float'", "numpy/alias-removed"),
    ("RuntimeError: asyncio.run() cannot be called from a running event loop", "python/asyncio-running-loop"),
    ("RuntimeError: Event loop is closed", "python/event-loop-is-closed"),
    ("RuntimeError: This event loop is already running", "python/asyncio-running-loop"),
    (
        "torch.onnx.errors.UnsupportedOperatorError: Exporting the operator 'aten::tril' to ONNX opset version 13 is "
        "not supported. Support for this operator was added in version 14, try exporting with this version.",
        "pytorch/onnx-unsupported-operator",
    ),
    (
        "RuntimeError: jaxlib version 0.4.30 is newer than and incompatible with jax version 0.4.13. Please update "
        "your jax and/or jaxlib packages.",
        "jax/jaxlib-version-mismatch",
    ),
    ("RuntimeError: FlashAttention only supports Ampere GPUs or newer.", "flash-attn/ampere-gpus-only"),
    ("TypeError: 'int' object does not support indexing", "python/object-not-subscriptable"),
    ("TypeError: 'AxesImage' object is not subscriptable", "python/object-not-subscriptable"),
    ("TypeError: 'NoneType' object is not subscriptable", "python/nonetype-not-subscriptable"),
    ("RuntimeError: CUDA error: device-side assert triggered", "cuda/device-side-assert"),
    (
        "RuntimeError: Expected object of type torch.cuda.FloatTensor but found type torch.cuda.LongTensor for "
        "argument #3 'other'",
        "pytorch/dtype-float-double-mismatch",
    ),
    ("my loss is not decreasing at all, it stays at 0.69 every epoch", "pytorch/loss-not-decreasing"),
    (
        "ImportError: Missing optional dependency 'openpyxl'.  Use pip or conda to install openpyxl.",
        "pandas/excel-engine-missing",
    ),
]


@pytest.mark.parametrize(("line", "expected"), [(c[0], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_error_line_alone_ranks_the_intended_entry_first(bundled_engine: Engine, line: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, line) == expected


@pytest.mark.parametrize(("traceback", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_traceback_ranks_the_intended_entry_first(bundled_engine: Engine, traceback: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, traceback) == expected


@pytest.mark.parametrize(("line", "expected"), LINES, ids=[c[0] for c in LINES])
def test_other_wordings_rank_the_intended_entry_first(bundled_engine: Engine, line: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, line) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    DESCRIPTIONS,
    ids=[text[:60] for text, _ in DESCRIPTIONS],
)
def test_descriptions_rank_the_symptom_entry_first(bundled_engine: Engine, text: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, text) == expected


@pytest.mark.parametrize(("line", "expected"), NEIGHBOURS, ids=[c[0][:60] for c in NEIGHBOURS])
def test_neighbours_keep_their_own_errors(bundled_engine: Engine, line: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, line) == expected


# ComfyUI logs the inner traceback, a blank line, then its own line "Cannot import ... module for custom nodes:
# <the inner error>". That line names no exception; it is an error line because it restates the exception's message
# after words of its own (extract._restating), so comfyui/custom-node-import-failed's pattern, which spells it out,
# is searched and outranks python/module-not-found on the inner ModuleNotFoundError.
COMFYUI_TRACEBACK = (
    r"""Traceback (most recent call last):
  File "D:\ComfyUI_windows_portable\ComfyUI\nodes.py", line 2141, in load_custom_node
    module_spec.loader.exec_module(module)
  File "<frozen importlib._bootstrap_external>", line 995, in exec_module
  File "<frozen importlib._bootstrap>", line 488, in _call_with_frames_removed
  File "D:\ComfyUI_windows_portable\ComfyUI\custom_nodes\comfyui-reactor-node\nodes.py", line 9, in <module>
    import insightface
ModuleNotFoundError: No module named 'insightface'

"""
    + COMFYUI_IMPORT_LINE
)


def test_comfyui_import_line_alone_ranks_its_entry_first(bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, COMFYUI_IMPORT_LINE) == "comfyui/custom-node-import-failed"


def test_comfyui_import_line_after_its_traceback_ranks_its_entry_first(bundled_engine: Engine) -> None:
    assert best_entry_id(bundled_engine, COMFYUI_TRACEBACK) == "comfyui/custom-node-import-failed"


# transformers 4.x wraps an error raised while importing one of its modules in "Failed to import transformers.X
# because of the following error", the cause on the next line. The wrapper entry answers a cause no entry covers;
# a cause with an entry of its own still ranks that entry first (its pattern proof outranks the wrapper's likeness).
TRANSFORMERS_WRAPPER = (
    "RuntimeError: Failed to import transformers.models.llama.modeling_llama because of the following error "
    "(look up to see its traceback):\n"
)


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        (
            "cannot import name 'Frobnicator' from 'widgetlib' (unknown location)",
            "transformers/failed-to-import-model-module",
        ),
        (
            "/env/lib/python3.11/site-packages/flash_attn_2_cuda.cpython-311-x86_64-linux-gnu.so: undefined symbol: "
            "_ZN3c104cuda9SetDeviceEi",
            "flash-attn/undefined-symbol-torch-abi",
        ),
        (
            "Your currently installed version of Keras is Keras 3, but this is not yet supported in Transformers. "
            "Please install the backwards-compatible tf-keras package with `pip install tf-keras`.",
            "keras/keras3-tf-keras-imports",
        ),
    ],
    ids=["uncovered cause", "flash-attn cause", "keras 3 cause"],
)
def test_transformers_import_wrapper_answers_only_causes_without_an_entry(
    bundled_engine: Engine, cause: str, expected: str
) -> None:
    assert best_entry_id(bundled_engine, TRANSFORMERS_WRAPPER + cause) == expected


@pytest.mark.parametrize(
    ("traceback", "expected"),
    [
        # What Python 3.9 prints for these lines (Python 3.0-3.3 print the same for any print statement): no
        # "Missing parentheses" hint, only the code line above the caret shows the print statement.
        (
            '  File "/tmp/train_py2.py", line 2\n    print ", ".join(parts)\n          ^\nSyntaxError: invalid syntax',
            "python/print-missing-parentheses",
        ),
        (
            '  File "/tmp/utils.py", line 1\n    def f(): print x\n                   ^\nSyntaxError: invalid syntax',
            "python/print-missing-parentheses",
        ),
        # The same caret under a shell command typed into Python stays pip's.
        (
            '  File "<stdin>", line 1\n    pip install numpy\n        ^\nSyntaxError: invalid syntax',
            "pip/pip-install-in-python-shell",
        ),
        # Calling print, or a name that starts with it, is not a print statement.
        (
            '  File "/tmp/a.py", line 3\n    print(x) y\n             ^\nSyntaxError: invalid syntax',
            None,
        ),
        (
            '  File "/tmp/a.py", line 3\n    printer = make printer\n                   ^\nSyntaxError: invalid syntax',
            None,
        ),
    ],
    ids=["print with a call", "print after def", "pip in the shell", "print call", "printer"],
)
def test_a_python_2_statement_above_a_bare_invalid_syntax_is_the_print_entry(
    bundled_engine: Engine, traceback: str, expected: str | None
) -> None:
    got = best_entry_id(bundled_engine, traceback)
    if expected is None:
        assert got != "python/print-missing-parentheses"
    else:
        assert got == expected


# `'str' object has no attribute 'decode'`: bare, it is python/bytes-str-mixup's (PyJWT 2, Python 2 code, a library
# that now returns str); with the source line of an old Keras reading an .h5 file's attributes above it, it is
# keras/h5py3-str-decode's. IPython and Colab show that source line after an arrow, Colab with the frame's path as
# a Markdown link: both are read as the traceback's shown code and frame (extract._ipython_shown_code).
KERAS_DECODE_LINE = "    original_keras_version = f.attrs['keras_version'].decode('utf8')"
STR_DECODE = "AttributeError: 'str' object has no attribute 'decode'"
DECODE_CASES = [
    (STR_DECODE, "python/bytes-str-mixup"),
    (STR_DECODE + ". Did you mean: 'encode'?", "python/bytes-str-mixup"),
    (
        'Traceback (most recent call last):\n  File "/srv/app/models.py", line 154, in get_token\n'
        "    return jwt.encode(payload, key, algorithm='HS256').decode('utf-8')\n" + STR_DECODE,
        "python/bytes-str-mixup",
    ),
    (
        'Traceback (most recent call last):\n  File "train.py", line 40, in <module>\n    model.load_weights(path)\n'
        '  File "/env/lib/python3.7/site-packages/keras/engine/saving.py", line 1183, in load_weights_from_hdf5_group\n'
        + KERAS_DECODE_LINE
        + "\n"
        + STR_DECODE,
        "keras/h5py3-str-decode",
    ),
    (
        "AttributeError                            Traceback (most recent call last)\n"
        "/env/lib/python3.7/site-packages/tensorflow/python/keras/saving/hdf5_format.py in "
        "load_weights_from_hdf5_group(f, layers)\n"
        "    650   if 'keras_version' in f.attrs:\n"
        "--> 651     original_keras_version = f.attrs['keras_version'].decode('utf8')\n"
        "    652   else:\n\n" + STR_DECODE,
        "keras/h5py3-str-decode",
    ),
    (
        "[/usr/local/lib/python3.7/dist-packages/tensorflow/python/keras/saving/hdf5_format.py]"
        "(https://localhost:8080/#) in load_weights_from_hdf5_group(f, layers)\n"
        "--> 651     original_keras_version = f.attrs['keras_version'].decode('utf8')\n\n" + STR_DECODE,
        "keras/h5py3-str-decode",
    ),
]


@pytest.mark.parametrize(("text", "expected"), DECODE_CASES, ids=[c[0][-70:] for c in DECODE_CASES])
def test_str_decode_goes_to_keras_only_with_its_source_line(bundled_engine: Engine, text: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, text) == expected


# argparse's `prog: error: unrecognized arguments: --local-rank=0`: the old launcher (python -m
# torch.distributed.launch) appends a local rank option the script does not declare. Another option argparse rejects
# is python/argparse-unrecognized-arguments (in a notebook, the kernel's own `-f kernel-....json`), and conda's
# `--force` has its own entry.
LAUNCH_CASES = [
    ("train.py: error: unrecognized arguments: --local-rank=0", "pytorch/launch-local-rank-argument"),
    ("main.py: error: unrecognized arguments: --local_rank=3", "pytorch/launch-local-rank-argument"),
    (
        "usage: finetune.py [-h] [--model_path MODEL_PATH] [--local_rank LOCAL_RANK]\n"
        "finetune.py: error: unrecognized arguments: --local-rank=1",
        "pytorch/launch-local-rank-argument",
    ),
    ("conda: error: unrecognized arguments: --force", "conda/prefix-already-exists"),
    ("train.py: error: unrecognized arguments: --epochs=3", "python/argparse-unrecognized-arguments"),
    (
        "usage: ipykernel_launcher.py [-h] [--lr LR]\n"
        "ipykernel_launcher.py: error: unrecognized arguments: -f /home/me/.local/share/jupyter/runtime/k-7.json\n"
        "An exception has occurred, use %tb to see the full traceback.\n\nSystemExit: 2",
        "python/argparse-unrecognized-arguments",
    ),
    (
        "ipykernel_launcher: error: unrecognized arguments: --ip=127.0.0.1 --stdin=9013 --control=9011 --hb=9010",
        "python/argparse-unrecognized-arguments",
    ),
]


@pytest.mark.parametrize(("text", "expected"), LAUNCH_CASES, ids=[c[0][:60] for c in LAUNCH_CASES])
def test_an_argparse_error_goes_to_the_entry_of_its_option(bundled_engine: Engine, text: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, text) == expected


# Windows words a DLL failure in the machine's language after Python's `DLL load failed:`. Only the TensorFlow
# runtime's `with error code -1073741795` (STATUS_ILLEGAL_INSTRUCTION) is the CPU's missing instruction set; the
# code is a number the matcher masks, so the CPU entry's line must not stand for every `DLL load failed`.
TORCH_IMPORT = (
    "Traceback (most recent call last):\n"
    '  File "<stdin>", line 1, in <module>\n'
    '  File "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python37\\lib\\site-packages\\torch\\__init__.py", '
    "line 81, in <module>\n"
    "    from torch._C import *\n"
)
DLL_CASES = [
    ("ImportError: DLL load failed with error code -1073741795", "python/illegal-instruction-cpu"),
    (
        TORCH_IMPORT + "ImportError: DLL load failed: 지정된 프로시저를 찾을 수 없습니다.",
        "pytorch/windows-dll-load-failed",
    ),
    (TORCH_IMPORT + "ImportError: DLL load failed: 找不到指定的模块。", "pytorch/windows-dll-load-failed"),
    ("ImportError: DLL load failed: 页面文件太小，无法完成操作。", "pytorch/windows-paging-file-too-small"),
]


@pytest.mark.parametrize(("text", "expected"), DLL_CASES, ids=[c[0][-60:] for c in DLL_CASES])
def test_a_localized_dll_failure_is_not_the_cpu_entry(bundled_engine: Engine, text: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, text) == expected
