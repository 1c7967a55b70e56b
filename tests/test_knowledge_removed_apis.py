"""Issue 10: removed APIs and packaging/environment errors each find their own entry, in the wordings people paste.

The wordings are the error lines of real reports across versions (Pillow 9-10, PyTorch 1.9-2.x, huggingface_hub
0.26-1.0, pandas 1.5-2.x, MarkupSafe 2.1, h5py 3, protobuf 4.21, Windows CUDA builds, pip, conda, setuptools,
Python 3.12), so a later edit to an entry or to the matcher that loses one of them fails here, not in a channel.
"""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.knowledge.patterns import compile_pattern

WORDINGS = [
    ("AttributeError: module 'PIL.Image' has no attribute 'ANTIALIAS'", "pillow/antialias-removed"),
    ("AttributeError: module 'PIL.Image' has no attribute 'LINEAR'", "pillow/antialias-removed"),
    ("AttributeError: 'FreeTypeFont' object has no attribute 'getsize'", "pillow/textsize-getsize-removed"),
    ("AttributeError: 'ImageDraw' object has no attribute 'textsize'", "pillow/textsize-getsize-removed"),
    ("from torch._six import inf\nModuleNotFoundError: No module named 'torch._six'", "pytorch/torch-six-removed"),
    ("ModuleNotFoundError: No module named 'torch._six'", "pytorch/torch-six-removed"),
    (
        "  from torch._six import container_abcs\n  ImportError: cannot import name 'container_abcs' from 'torch._six' "
        "(C:\\python39\\lib\\site-packages\\torch\\_six.py)",
        "pytorch/torch-six-container-abcs",
    ),
    (
        "ImportError: cannot import name 'cached_download' from 'huggingface_hub' "
        "(/usr/local/lib/python3.11/dist-packages/huggingface_hub/__init__.py)",
        "transformers/hf-hub-cached-download-removed",
    ),
    (
        "ImportError: cannot import name 'cached_download' from 'huggingface_hub' (C:\\ComfyUI_windows_portable\\"
        "python_embeded\\Lib\\site-packages\\huggingface_hub\\__init__.py). Did you mean: 'hf_hub_download'?",
        "transformers/hf-hub-cached-download-removed",
    ),
    (
        "ImportError: cannot import name 'HfFolder' from 'huggingface_hub' "
        "(/usr/local/lib/python3.12/dist-packages/huggingface_hub/__init__.py)",
        "transformers/hf-hub-cached-download-removed",
    ),
    ("AttributeError: 'DataFrame' object has no attribute 'iteritems'", "pandas/iteritems-removed"),
    ("AttributeError: 'Series' object has no attribute 'iteritems'", "pandas/iteritems-removed"),
    (
        "ImportError: cannot import name 'soft_unicode' from 'markupsafe' "
        "(/usr/local/lib/python3.8/site-packages/markupsafe/__init__.py)",
        "python/markupsafe-soft-unicode-removed",
    ),
    (
        "from markupsafe import Markup, escape, soft_unicode\nImportError: cannot import name 'soft_unicode' from "
        "'markupsafe'",
        "python/markupsafe-soft-unicode-removed",
    ),
    (
        "original_keras_version = f.attrs['keras_version'].decode('utf8')\n"
        "AttributeError: 'str' object has no attribute 'decode'",
        "keras/h5py3-str-decode",
    ),
    ("AttributeError: 'str' object has no attribute 'decode'", "python/bytes-str-mixup"),
    (
        "TypeError: Descriptors cannot not be created directly.\nIf this call came from a _pb2.py file, your generated "
        "code is out of date and must be regenerated with protoc >= 3.19.0.",
        "python/protobuf-descriptors-out-of-date",
    ),
    ("TypeError: Descriptors cannot be created directly.", "python/protobuf-descriptors-out-of-date"),
    (
        "OSError: [WinError 1455] The paging file is too small for this operation to complete. Error loading "
        '"C:\\Users\\phill\\AppData\\Local\\Programs\\Python\\Python310\\lib\\site-packages\\torch\\lib\\'
        'cudnn_adv_infer64_8.dll" or one of its dependencies.',
        "pytorch/windows-paging-file-too-small",
    ),
    (
        'OSError: [WinError 1455] 页面文件太小，无法完成操作。 Error loading "F:\\anaconda3\\envs\\pytorch\\lib\\'
        'site-packages\\torch\\lib\\caffe2_detectron_ops_gpu.dll" or one of its dependencies.',
        "pytorch/windows-paging-file-too-small",
    ),
    (
        "pip._vendor.urllib3.exceptions.ReadTimeoutError: "
        "HTTPSConnectionPool(host='files.pythonhosted.org', port=443): Read timed out.",
        "pip/read-timeout",
    ),
    (
        '    raise ReadTimeoutError(self._pool, None, "Read timed out.")\n'
        "pip._vendor.urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool(host='files.pythonhosted.org', "
        "port=443): Read timed out.",
        "pip/read-timeout",
    ),
    (
        "error: incomplete-download\n\n× Download failed because not enough bytes were received (0 bytes/10.0 MB)",
        "pip/read-timeout",
    ),
    (
        "INFO: pip is looking at multiple versions of zipp to determine which version is compatible with other "
        "requirements. This could take a while.",
        "pip/resolver-backtracking",
    ),
    ("pip._vendor.resolvelib.resolvers.ResolutionTooDeep: 200000", "pip/resolver-backtracking"),
    (
        "CondaHTTPError: HTTP 000 CONNECTION FAILED for url <https://repo.anaconda.com/pkgs/main/linux-64/"
        "current_repodata.json>\nElapsed: -\n\nAn HTTP error occurred when trying to retrieve this URL.",
        "conda/http-000-connection-failed",
    ),
    ("ModuleNotFoundError: No module named 'pkg_resources'", "python/pkg-resources-missing"),
    ("ModuleNotFoundError: No module named 'distutils'", "python/distutils-removed"),
    (
        "from distutils.version import LooseVersion\nModuleNotFoundError: No module named 'distutils'",
        "python/distutils-removed",
    ),
]


@pytest.mark.parametrize(("wording", "entry_id"), WORDINGS)
def test_removed_api_wording_finds_its_entry(bundled_engine: Engine, wording: str, entry_id: str) -> None:
    result = bundled_engine.match(wording, top=3)
    assert result.best is not None
    assert result.best.entry.id == entry_id


PAGING_FILE = (
    "OSError: [WinError 1455] The paging file is too small for this operation to complete. Error loading "
    '"D:\\venv\\lib\\site-packages\\torch\\lib\\cublas64_11.dll" or one of its dependencies.'
)
MISSING_DLL = (
    "OSError: [WinError 126] The specified module could not be found. Error loading "
    '"C:\\Python311\\Lib\\site-packages\\torch\\lib\\fbgemm.dll" or one of its dependencies.'
)


def _dll_entry_patterns(engine: Engine) -> list[str]:
    return list(engine.kb.by_id["pytorch/windows-dll-load-failed"].patterns)


def test_the_missing_dll_entry_does_not_claim_a_full_paging_file(bundled_engine: Engine) -> None:
    """WinError 1455 is a commit-limit problem, not a missing dependency: the DLL entry's patterns must not
    count it as proof, or a paging-file report gets the Visual C++ redistributable advice."""
    patterns = _dll_entry_patterns(bundled_engine)
    assert not any(compile_pattern(p).search(PAGING_FILE) for p in patterns)


def test_the_missing_dll_entry_still_claims_its_own_error(bundled_engine: Engine) -> None:
    patterns = _dll_entry_patterns(bundled_engine)
    assert any(compile_pattern(p).search(MISSING_DLL) for p in patterns)
    result = bundled_engine.match(MISSING_DLL, top=3)
    assert result.best is not None
    assert result.best.entry.id == "pytorch/windows-dll-load-failed"
