"""Frame evidence: a traceback passing through a file an entry names, weighed by how few entries name it."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.matching.extract import extract
from bot.matching.frames import MAX_FRAMES, entry_paths, frame_evidence, frame_keys
from tests.conftest import best_entry_id

WINDOWS_SPAWN = r"""Traceback (most recent call last):
  File "<string>", line 1, in <module>
  File "C:\Users\me\anaconda3\envs\dl\lib\multiprocessing\spawn.py", line 116, in spawn_main
    exitcode = _main(fd, parent_sentinel)
  File "C:\Users\me\anaconda3\envs\dl\lib\multiprocessing\spawn.py", line 126, in _main
    self = reduction.pickle.load(from_parent)
EOFError: Ran out of input
"""

LOCAL_OBJECT = r"""Traceback (most recent call last):
  File "C:\Users\me\proj\train.py", line 48, in <module>
    for images, labels in train_loader:
  File "C:\Users\me\anaconda3\envs\dl\lib\site-packages\torch\utils\data\dataloader.py", line 438, in __iter__
    return self._get_iterator()
  File "C:\Users\me\anaconda3\envs\dl\lib\multiprocessing\popen_spawn_win32.py", line 93, in __init__
    reduction.dump(process_obj, to_child)
  File "C:\Users\me\anaconda3\envs\dl\lib\multiprocessing\reduction.py", line 60, in dump
    ForkingPickler(file, protocol).dump(obj)
AttributeError: Can't pickle local object 'get_loader.<locals>.<lambda>'
"""

BROKEN_PIPE = LOCAL_OBJECT.replace(
    "AttributeError: Can't pickle local object 'get_loader.<locals>.<lambda>'",
    "BrokenPipeError: [Errno 32] Broken pipe",
)

PLAIN_PICKLE = """Traceback (most recent call last):
  File "/home/me/proj/train.py", line 12, in <module>
    data = pickle.load(f)
EOFError: Ran out of input
"""


def _frames(text: str) -> tuple[str, ...]:
    return frame_keys(extract(text).frames)


def test_a_windows_frame_matches_an_entry_path_written_with_forward_slashes() -> None:
    (paths,) = entry_paths([["multiprocessing/spawn.py"]])
    assert frame_evidence(_frames(WINDOWS_SPAWN), paths) == 1.0
    assert frame_evidence(_frames(PLAIN_PICKLE), paths) == 0.0


def test_a_path_matches_whole_components_only() -> None:
    (paths,) = entry_paths([["spawn.py"]])
    assert frame_evidence(frame_keys(["/usr/lib/python3.11/multiprocessing/respawn.py"]), paths) == 0.0
    assert frame_evidence(frame_keys(["/usr/lib/python3.11/multiprocessing/spawn.py"]), paths) == 1.0


def test_a_folder_path_matches_any_file_under_it() -> None:
    (paths,) = entry_paths([["matplotlib/backends/"]])
    inside = frame_keys(["/opt/venv/lib/python3.11/site-packages/matplotlib/backends/backend_tkagg.py"])
    beside = frame_keys(["/opt/venv/lib/python3.11/site-packages/matplotlib/pyplot.py"])
    assert frame_evidence(inside, paths) == 1.0
    assert frame_evidence(beside, paths) == 0.0


def test_a_folder_written_with_backslashes_is_a_folder_too() -> None:
    (paths,) = entry_paths([["torch\\lib\\"]])
    assert paths == (("torch/lib/", 1.0),)
    assert frame_evidence(frame_keys([r"C:\Python311\Lib\site-packages\torch\lib\helpers.py"]), paths) == 1.0


def test_a_path_many_entries_name_says_less() -> None:
    common, rare = "torch/nn/functional.py", "torch/nn/modules/conv.py"
    table = entry_paths([[common, rare], [common], [common], [common]])
    frames = frame_keys([f"/venv/site-packages/{common}", f"/venv/site-packages/{rare}"])
    assert frame_evidence(frames, table[0]) == 1.0  # its rare path decides
    assert frame_evidence(frames, table[1]) == pytest.approx(0.25)  # four entries name the common one


def test_frames_are_compared_once_each_and_at_most_max_frames() -> None:
    many = [f"/deep/recursion/module_{n % (MAX_FRAMES * 2)}.py" for n in range(MAX_FRAMES * 10)]
    keys = frame_keys([*many, "/venv/lib/python3.11/multiprocessing/spawn.py"])
    assert len(keys) == MAX_FRAMES
    assert keys[-1].endswith("/multiprocessing/spawn.py")  # the frames nearest the error are kept
    assert len(frame_keys(["/a/b.py", "/a/b.py", "C:\\A\\B.py"])) == 2  # repeats and case count once


def test_the_same_last_line_goes_where_the_frames_say(bundled_engine: Engine) -> None:
    # Both end in `EOFError: Ran out of input`, a signature of both entries. On Windows the parent's pipe to a
    # DataLoader worker broke, and the worker's traceback passed through multiprocessing's spawn, which only
    # DataLoader-worker entries name. (The worker's traceback alone, with no torch frame, still goes to the pickle
    # entry: its exception agreeing outweighs a path two entries share.)
    assert best_entry_id(bundled_engine, BROKEN_PIPE + WINDOWS_SPAWN) == "pytorch/dataloader-spawn-bootstrap"
    assert best_entry_id(bundled_engine, PLAIN_PICKLE) == "python/pickle-ran-out-of-input"


def test_the_parents_error_and_its_frames_outweigh_the_workers_last_line(bundled_engine: Engine) -> None:
    # The parent could not pickle the dataset for the worker (its frames pass through popen_spawn_win32.py); the
    # worker, left without input, printed the EOFError last.
    assert best_entry_id(bundled_engine, LOCAL_OBJECT + WINDOWS_SPAWN) == "pytorch/dataloader-pickle-local-object"
