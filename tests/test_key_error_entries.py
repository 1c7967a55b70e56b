"""`KeyError`: a dictionary without the key the code reads.

The generic entry (python/key-error, a `summary`) answers a plain dict's missing key; the specific entries prove
their own cases: os.environ's missing variable by the frame that raised it (python/environment-variable-not-set),
a DataFrame's missing column by pandas' frames, a checkpoint's missing entry by its key
(tests/test_summary_entries.py). Before the generic entry, a dict's `KeyError: 'port'` ranked pandas' column entry
first.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from bot.engine import Engine

from .conftest import best_entry_id, run_python

GENERIC = "python/key-error"
ENVIRONMENT = "python/environment-variable-not-set"


def test_a_dicts_missing_key_is_answered_by_the_generic_entry(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    paste = real_traceback('config = {"host": "localhost"}\nprint(config["port"])\n')
    assert paste.rstrip().endswith("KeyError: 'port'")
    assert best_entry_id(bundled_engine, paste) == GENERIC


def test_a_config_file_that_was_never_read_is_answered_by_the_generic_entry(
    bundled_engine: Engine, real_traceback: Callable[[str], str]
) -> None:
    paste = real_traceback(
        "import configparser\nconfig = configparser.ConfigParser()\nconfig.read('missing.ini')\n"
        "print(config['Daemon']['port'])\n"
    )
    assert "configparser.py" in paste and paste.rstrip().endswith("KeyError: 'Daemon'")
    assert best_entry_id(bundled_engine, paste) == GENERIC


def test_a_missing_environment_variable_is_answered_by_its_entry(bundled_engine: Engine, tmp_path: Path) -> None:
    """Python's own traceback, whatever its version prints for os.py's frame (`<frozen os>` since 3.11)."""
    environment = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    paste = run_python('import os\n\ntoken = os.environ["DISCORD_TOKEN"]\n', tmp_path, env=environment)
    assert paste.rstrip().endswith("KeyError: 'DISCORD_TOKEN'")
    result = bundled_engine.match(paste, top=3)
    assert result.best is not None and result.best.entry.id == ENVIRONMENT
