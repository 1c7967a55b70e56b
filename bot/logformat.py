"""Log lines for people (the default) or for log collectors: KNOWNFIX_LOG_FORMAT=json writes one JSON object a
line with time, level, logger and message, and the exception's traceback as one string when there is one."""

from __future__ import annotations

import datetime
import json
import logging

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # ASCII only: JSON leaves U+2028 and U+2029 unescaped, and some readers split lines on them; escaped,
        # one record is one line for every reader, whatever text a message or an exception carries.
        return json.dumps(entry, ensure_ascii=True)


def use_log_format(log_format: str) -> None:
    """Give every handler of the root logger the chosen format ("text" leaves the CLI's own as it is)."""
    if log_format != "json":
        return
    formatter = JsonFormatter()
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    logging.captureWarnings(True)  # a library's warning goes through the handlers too, as JSON, not raw text
