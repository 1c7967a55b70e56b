"""The bot's counters and histograms, and their Prometheus text exposition (format 0.0.4), Discord-free.

The bot counts where events already happen (one line at each place, `metrics.REPLIES.inc(mode="answer")`);
bot.chat.health serves `REGISTRY.render()` at /metrics. Counting runs on the event loop only (the matcher's
worker thread returns its result there first), so plain integers need no lock.

Format reference: https://prometheus.io/docs/instrumenting/exposition_formats/ — a `# HELP` and a `# TYPE`
line per family, label values escaped (backslash, double quote, newline), histograms as cumulative
`_bucket{le=...}` samples ending with `le="+Inf"`, then `_sum` and `_count`.
"""

from __future__ import annotations

import bisect
import math
import re
import time
from collections.abc import Awaitable, Iterable, Mapping
from typing import TypeVar

from bot.feedback.votes import NONE_FIXED, WORKAROUND_KIND, WRONG_MATCH

T = TypeVar("T")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
LabelValues = tuple[str, ...]


def escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float) -> str:
    """A sample value as Prometheus writes it: integers without a fraction, infinities as +Inf/-Inf."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def _labels_text(names: tuple[str, ...], values: LabelValues, extra: tuple[tuple[str, str], ...] = ()) -> str:
    pairs = [*zip(names, values, strict=True), *extra]
    if not pairs:
        return ""
    return "{" + ",".join(f'{name}="{escape_label_value(value)}"' for name, value in pairs) + "}"


class _Family:
    kind = ""

    def __init__(self, name: str, help_text: str, labelnames: Iterable[str] = ()) -> None:
        if not _NAME.match(name):
            raise ValueError(f"metric name {name!r} is not a valid Prometheus name")
        self.name, self.help_text = name, help_text
        self.labelnames = tuple(labelnames)
        for label in self.labelnames:
            if not _LABEL.match(label) or label.startswith("__") or label == "le":
                raise ValueError(f"{name}: label name {label!r} is not allowed")

    def _key(self, labels: Mapping[str, str]) -> LabelValues:
        if not labels and not self.labelnames:
            return ()  # the common case, counted per message: no set building
        if set(labels) != set(self.labelnames):
            raise ValueError(f"{self.name}: labels must be {self.labelnames}, got {tuple(labels)}")
        return tuple(str(labels[name]) for name in self.labelnames)

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {escape_help(self.help_text)}", f"# TYPE {self.name} {self.kind}"]

    def samples(self) -> list[str]:
        raise NotImplementedError


class Counter(_Family):
    """A count that only goes up. Its name ends in `_total`, as Prometheus' naming rules ask of counters."""

    kind = "counter"

    def __init__(
        self, name: str, help_text: str, labelnames: Iterable[str] = (), preset: Iterable[Mapping[str, str]] = ()
    ) -> None:
        super().__init__(name, help_text, labelnames)
        if not name.endswith("_total"):
            raise ValueError(f"counter {name!r} must end in _total")
        self._values: dict[LabelValues, float] = {}
        if not self.labelnames:
            self._values[()] = 0
        for labels in preset:  # known label values show as 0 before they happen: rate() needs a start
            self._values.setdefault(self._key(labels), 0)

    def inc(self, amount: float = 1, **labels: str) -> None:
        if amount < 0:
            raise ValueError(f"{self.name}: a counter cannot go down")
        key = self._key(labels)
        self._values[key] = self._values.get(key, 0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(self._key(labels), 0)

    def samples(self) -> list[str]:
        return [
            f"{self.name}{_labels_text(self.labelnames, key)} {format_value(value)}"
            for key, value in sorted(self._values.items())
        ]


class _Series:
    def __init__(self, bounds: int) -> None:
        self.counts = [0] * (bounds + 1)  # one per bound, then the +Inf overflow; not cumulative
        self.sum = 0.0


class Histogram(_Family):
    """Observations counted into fixed buckets (an observation equal to a bound counts in that bucket)."""

    kind = "histogram"

    def __init__(self, name: str, help_text: str, buckets: Iterable[float], labelnames: Iterable[str] = ()) -> None:
        super().__init__(name, help_text, labelnames)
        self.buckets = tuple(float(b) for b in buckets)
        if not self.buckets or any(not math.isfinite(b) for b in self.buckets):
            raise ValueError(f"{name}: buckets must be finite numbers (+Inf is added)")
        if any(a >= b for a, b in zip(self.buckets, self.buckets[1:], strict=False)):
            raise ValueError(f"{name}: buckets must increase")
        self._series: dict[LabelValues, _Series] = {}
        if not self.labelnames:
            self._series[()] = _Series(len(self.buckets))

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series(len(self.buckets))
        series.counts[bisect.bisect_left(self.buckets, value)] += 1
        series.sum += value

    def count(self, **labels: str) -> int:
        series = self._series.get(self._key(labels))
        return sum(series.counts) if series else 0

    async def timed(self, awaitable: Awaitable[T], **labels: str) -> T:
        """Await `awaitable` and observe how long it took, in seconds (also when it raised)."""
        started = time.perf_counter()
        try:
            return await awaitable
        finally:
            self.observe(time.perf_counter() - started, **labels)

    def samples(self) -> list[str]:
        lines: list[str] = []
        for key, series in sorted(self._series.items()):
            cumulative = 0
            bounds = [*(repr(b) for b in self.buckets), "+Inf"]  # the float's shortest form: 0.005, 1.0
            for bound, count in zip(bounds, series.counts, strict=True):
                cumulative += count
                le = (("le", bound),)
                lines.append(f"{self.name}_bucket{_labels_text(self.labelnames, key, le)} {cumulative}")
            labels = _labels_text(self.labelnames, key)
            lines.append(f"{self.name}_sum{labels} {format_value(series.sum)}")
            lines.append(f"{self.name}_count{labels} {cumulative}")
        return lines


class Registry:
    def __init__(self) -> None:
        self._families: dict[str, _Family] = {}

    def add(self, family: _Family) -> None:
        if family.name in self._families:
            raise ValueError(f"metric {family.name!r} is registered twice")
        self._families[family.name] = family

    def counter(
        self, name: str, help_text: str, labelnames: Iterable[str] = (), preset: Iterable[Mapping[str, str]] = ()
    ) -> Counter:
        counter = Counter(name, help_text, labelnames, preset)
        self.add(counter)
        return counter

    def histogram(
        self, name: str, help_text: str, buckets: Iterable[float], labelnames: Iterable[str] = ()
    ) -> Histogram:
        histogram = Histogram(name, help_text, buckets, labelnames)
        self.add(histogram)
        return histogram

    def render(self) -> str:
        lines: list[str] = []
        for family in self._families.values():
            lines += family.header() + family.samples()
        return "\n".join(lines) + "\n"


# -- the bot's metrics ------------------------------------------------------------------------------

REPLY_MODES = ("answer", "suggest", "asked", "find-a-fix", "mention")
ASKED_OUTCOMES = ("answer", "no_confident_match")
VOTE_KINDS = (WORKAROUND_KIND, NONE_FIXED, WRONG_MATCH)
VOTE_WAYS = ("reaction", "button")
# Matching takes 0.5-25 ms per message on the 2-core machine (README, Speed and scale), a hostile
# 1 MB paste up to about half a second: buckets from 1 ms to 2.5 s cover both ends.
MATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# A SQLite read or vote takes well under a millisecond to a few; a write waits up to the 5 s busy timeout
# behind others under a vote flood, which the top buckets show.
STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)

REGISTRY = Registry()
MESSAGES_SEEN = REGISTRY.counter("knownfix_messages_seen_total", "Messages the bot received from the gateway.")
PREFILTER_PASSES = REGISTRY.counter(
    "knownfix_prefilter_passes_total", "Watched-channel messages the pre-filter let through to matching."
)
MATCHES = REGISTRY.counter("knownfix_matches_total", "Texts matched against the knowledge base.")
REPLIES = REGISTRY.counter(
    "knownfix_replies_total",
    "Answers posted, by how they were asked for.",
    ("mode",),
    [{"mode": m} for m in REPLY_MODES],
)
ASKED = REGISTRY.counter(
    "knownfix_asked_total",
    "Questions put to the bot (/fix, Find a fix, a mention): answered, or no confident match.",
    ("outcome",),
    [{"outcome": o} for o in ASKED_OUTCOMES],
)
VOTES = REGISTRY.counter(
    "knownfix_votes_total",
    "Votes recorded on replies, by kind and by the way they were cast.",
    ("kind", "via"),
    [{"kind": k, "via": v} for k in VOTE_KINDS for v in VOTE_WAYS],
)
GAPS_RECORDED = REGISTRY.counter(
    "knownfix_gaps_recorded_total", "Unanswered error reports recorded as gap fingerprints."
)
ERRORS = REGISTRY.counter("knownfix_errors_total", "Exceptions raised by event handlers, by event.", ("event",))
MATCH_SECONDS = REGISTRY.histogram("knownfix_match_seconds", "Time to match one text, in seconds.", MATCH_BUCKETS)
STORE_SECONDS = REGISTRY.histogram(
    "knownfix_store_seconds", "Time of store operations, in seconds.", STORE_BUCKETS, ("operation",)
)
