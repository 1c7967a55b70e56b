"""What Python prints around an exception, which several readers look for or write back."""

from __future__ import annotations

# The line that opens a traceback (with its colon after it when Python prints it on its own).
TRACEBACK_HEADER = "Traceback (most recent call last)"
# The header Django's traceback pages print, which opens frames as Python's own does.
SHORT_TRACEBACK_HEADER = "Traceback:"
# How a frame's line opens, after its indent: `  File "/path/app.py", line 3, in <module>`.
FRAME_START = 'File "'
