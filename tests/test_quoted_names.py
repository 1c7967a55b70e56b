"""Errors that differ from a generic entry only in the quoted name find their specific entry.

The matcher masks quoted names (`'qwen2'` -> a placeholder) so one error is one shape whatever the asker's names;
an error whose meaning is the name itself (`KeyError: 'qwen2'` from an old transformers, not a missing DataFrame
column) then reads exactly like the generic entry of that shape. The specific entries carry a signature or a
pattern that spells the name out; these cases run the real engine on the bundled knowledge, on the error line
alone and inside a traceback, so a later edit that lets the generic entry win again fails here.
"""

from __future__ import annotations

import pytest

from bot.engine import Engine

from .conftest import best_entry_id

# (error line, traceback ending in it, the entry that answers it)
CASES = [
    (
        "TypeError: read_csv() got an unexpected keyword argument 'error_bad_lines'",
        # real output of pandas 3.1 (the argument was removed in 2.0)
        """Traceback (most recent call last):
  File "/tmp/qn/t1.py", line 2, in <module>
    df = pd.read_csv("r.csv", error_bad_lines=False)
         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
TypeError: read_csv() got an unexpected keyword argument 'error_bad_lines'""",
        "pandas/error-tokenizing-data",
    ),
    (
        "TypeError: read_csv() got an unexpected keyword argument 'warn_bad_lines'",
        """Traceback (most recent call last):
  File "clean.py", line 4, in <module>
    df = pd.read_csv(path, sep=";", warn_bad_lines=True)
TypeError: read_csv() got an unexpected keyword argument 'warn_bad_lines'""",
        "pandas/error-tokenizing-data",
    ),
    (
        "KeyError: 'qwen2'",
        # transformers 4.3x: CONFIG_MAPPING's lookup of a model type the release does not know
        """Traceback (most recent call last):
  File "chat.py", line 5, in <module>
    model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2-7B-Instruct")
  File "/env/lib/python3.10/site-packages/transformers/models/auto/auto_factory.py", line 441, in from_pretrained
    config, kwargs = AutoConfig.from_pretrained(
  File "/env/lib/python3.10/site-packages/transformers/models/auto/configuration_auto.py", line 937, in from_pretrained
    config_class = CONFIG_MAPPING[config_dict["model_type"]]
  File "/env/lib/python3.10/site-packages/transformers/models/auto/configuration_auto.py", line 643, in __getitem__
    raise KeyError(key)
KeyError: 'qwen2'""",
        "transformers/unrecognized-model-type",
    ),
    (
        "KeyError: 'mistral'",
        """Traceback (most recent call last):
  File "/content/finetune.py", line 12, in <module>
    tokenizer = AutoTokenizer.from_pretrained("mistralai/Mistral-7B-v0.1")
  File "/env/lib/python3.10/site-packages/transformers/models/auto/tokenization_auto.py", line 718, in from_pretrained
    config = AutoConfig.from_pretrained(
  File "/env/lib/python3.10/site-packages/transformers/models/auto/configuration_auto.py", line 1048, in from_pretrained
    config_class = CONFIG_MAPPING[config_dict["model_type"]]
  File "/env/lib/python3.10/site-packages/transformers/models/auto/configuration_auto.py", line 748, in __getitem__
    raise KeyError(key)
KeyError: 'mistral'""",
        "transformers/unrecognized-model-type",
    ),
    (
        "ModuleNotFoundError: No module named 'tensorflow.contrib'",
        """Traceback (most recent call last):
  File "train.py", line 3, in <module>
    from tensorflow.contrib import rnn
ModuleNotFoundError: No module named 'tensorflow.contrib'""",
        "tensorflow/tf1-api-removed",
    ),
    (
        "nvidia-smi : The term 'nvidia-smi' is not recognized as the name of a cmdlet, function, script file, or "
        "operable program. Check the spelling of the name, or if a path was included, verify that the path is correct "
        "and try again.",
        # Windows PowerShell 5.1's console output, wrapped at the window's width
        r"""PS C:\Users\me> nvidia-smi
nvidia-smi : The term 'nvidia-smi' is not recognized as the name of a cmdlet, function, script file, or operable
program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.
At line:1 char:1
+ nvidia-smi
+ ~~~~~~~~~~
    + CategoryInfo          : ObjectNotFound: (nvidia-smi:String) [], CommandNotFoundException
    + FullyQualifiedErrorId : CommandNotFoundException""",
        "cuda/nvidia-smi-failed",
    ),
]

# More names the patterns spell out, as the error line alone.
LINES = [
    ("KeyError: 'llama'", "transformers/unrecognized-model-type"),
    ("KeyError: 'qwen2_moe'", "transformers/unrecognized-model-type"),
    ("TypeError: read_table() got an unexpected keyword argument 'error_bad_lines'", "pandas/error-tokenizing-data"),
    ("ModuleNotFoundError: No module named 'tensorflow.contrib.rnn'", "tensorflow/tf1-api-removed"),
    ("ImportError: No module named 'tensorflow.contrib'", "tensorflow/tf1-api-removed"),  # Python 3.5, TF 2.0-2.1
    (
        "nvidia-smi: The term 'nvidia-smi' is not recognized as a name of a cmdlet, function, script file, or "
        "executable program.",  # PowerShell 7
        "cuda/nvidia-smi-failed",
    ),
]

# The pasted exception type is not the entry's `exception` field (ModuleNotFoundError for an AttributeError entry,
# AttributeError for a RuntimeError or a KeyError one), but one of the entry's own signatures opens with it: the
# matcher counts those classes as the entry's (bot.matching.index.exception_names), so the entry agrees with the
# paste instead of taking the `exception_disagrees` factor while the generic entry of that class wins on the name.
SIGNATURE_EXCEPTIONS = [
    ("ModuleNotFoundError: No module named 'torch.nn'; 'torch' is not a package", "python/shadowed-module-name"),
    (
        "AttributeError: partially initialized module 'torchvision' has no attribute 'extension' "
        "(most likely due to a circular import)",
        "pytorch/torchvision-operator-missing",
    ),
    ("AttributeError: 'DataFrame' object has no attribute 'label'", "pandas/column-keyerror"),
]

# sklearn/joblib-externals-removed says ImportError in its field; Python 3.6+ raises ModuleNotFoundError for
# `import sklearn.externals.joblib`, which the entry carries as a signature of its own. Once quoted names are
# masked it reads the same as python/module-not-found's `No module named 'torch'`, which also gets the
# exception-agreement bonus. Ten entries share that masked form, so there the quoted names decide most of the
# similarity (`shared_named_share`): 'sklearn.externals.joblib' is this entry's own name, not an example's.
JOBLIB_AS_MODULE_NOT_FOUND = [
    pytest.param(
        "ModuleNotFoundError: No module named 'sklearn.externals.joblib'",
        "sklearn/joblib-externals-removed",
        id="bare line",
    ),
    pytest.param(
        """Traceback (most recent call last):
  File "/tmp/qn/t2.py", line 1, in <module>
    import sklearn.externals.joblib as joblib
ModuleNotFoundError: No module named 'sklearn.externals.joblib'""",
        "sklearn/joblib-externals-removed",
        id="traceback",
    ),
]

# The generic entries keep the same shapes with ordinary names: the specific wordings must not swallow them. A bare
# `KeyError` is a dict's missing key (python/key-error) unless pandas' frames or message show a column.
GENERIC = [
    ("KeyError: 'price'", "python/key-error"),
    ("ModuleNotFoundError: No module named 'torchvision'", "python/module-not-found"),
    ("TypeError: forward() got an unexpected keyword argument 'labels'", "python/unexpected-keyword-argument"),
]


@pytest.mark.parametrize(("line", "expected"), [(c[0], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_error_line_alone_ranks_the_specific_entry_first(bundled_engine: Engine, line: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, line) == expected


@pytest.mark.parametrize(("traceback", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_traceback_ranks_the_specific_entry_first(bundled_engine: Engine, traceback: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, traceback) == expected


@pytest.mark.parametrize(("line", "expected"), GENERIC, ids=[g[0] for g in GENERIC])
def test_ordinary_names_keep_the_generic_entry(bundled_engine: Engine, line: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, line) == expected


@pytest.mark.parametrize(("line", "expected"), LINES, ids=[c[0] for c in LINES])
def test_other_specific_names_rank_the_specific_entry_first(bundled_engine: Engine, line: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, line) == expected


@pytest.mark.parametrize(
    ("text", "expected"), SIGNATURE_EXCEPTIONS, ids=[c[0].splitlines()[-1] for c in SIGNATURE_EXCEPTIONS]
)
def test_an_exception_the_entrys_signatures_print_ranks_it_first(
    bundled_engine: Engine, text: str, expected: str
) -> None:
    assert best_entry_id(bundled_engine, text) == expected


@pytest.mark.parametrize(("text", "expected"), JOBLIB_AS_MODULE_NOT_FOUND)
def test_foreign_exception_wordings_rank_the_specific_entry_first(
    bundled_engine: Engine, text: str, expected: str
) -> None:
    assert best_entry_id(bundled_engine, text) == expected
