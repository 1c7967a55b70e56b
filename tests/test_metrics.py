"""The Prometheus text exposition bot.metrics writes, checked line by line against the format's rules."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot import metrics
from bot.feedback.votes import vote_kind
from bot.metrics import Counter, Histogram, Registry, escape_label_value, format_value

# One sample line of the 0.0.4 text format: name, optional {label="value",...}, a value.
SAMPLE = re.compile(
    r'[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
    r'(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN)\Z'
)


def test_a_counter_renders_help_type_and_total_sample() -> None:
    registry = Registry()
    seen = registry.counter("demo_messages_total", "Messages seen.")
    seen.inc()
    seen.inc(2)
    assert registry.render() == (
        "# HELP demo_messages_total Messages seen.\n# TYPE demo_messages_total counter\ndemo_messages_total 3\n"
    )


def test_labelled_counters_show_preset_values_at_zero_and_escape_label_values() -> None:
    registry = Registry()
    replies = registry.counter("demo_replies_total", "Replies.", ("mode",), [{"mode": "answer"}])
    replies.inc(mode='say "hi"\\\nnow')
    lines = registry.render().splitlines()
    assert 'demo_replies_total{mode="answer"} 0' in lines
    assert 'demo_replies_total{mode="say \\"hi\\"\\\\\\nnow"} 1' in lines
    assert all(SAMPLE.match(line) for line in lines if not line.startswith("#"))


def test_help_text_escapes_backslash_and_newline() -> None:
    registry = Registry()
    registry.counter("demo_total", "a \\ b\nc")
    assert registry.render().splitlines()[0] == "# HELP demo_total a \\\\ b\\nc"


def test_histogram_buckets_are_cumulative_inclusive_and_end_with_inf_sum_count() -> None:
    registry = Registry()
    latency = registry.histogram("demo_seconds", "Latency.", (0.01, 0.1, 1.0))
    for value in (0.005, 0.01, 0.05, 0.1, 3.0):  # 0.01 and 0.1 sit on bounds: they count in those buckets
        latency.observe(value)
    assert registry.render().splitlines() == [
        "# HELP demo_seconds Latency.",
        "# TYPE demo_seconds histogram",
        'demo_seconds_bucket{le="0.01"} 2',
        'demo_seconds_bucket{le="0.1"} 4',
        'demo_seconds_bucket{le="1.0"} 4',
        'demo_seconds_bucket{le="+Inf"} 5',
        "demo_seconds_sum 3.165",
        "demo_seconds_count 5",
    ]


def test_labelled_histogram_puts_le_after_its_labels() -> None:
    registry = Registry()
    store = registry.histogram("demo_store_seconds", "Store.", (0.5,), ("operation",))
    store.observe(0.25, operation="vote")
    lines = registry.render().splitlines()
    assert 'demo_store_seconds_bucket{operation="vote",le="0.5"} 1' in lines
    assert 'demo_store_seconds_count{operation="vote"} 1' in lines
    assert all(SAMPLE.match(line) for line in lines if not line.startswith("#"))


def test_timed_observes_the_await_even_when_it_raises() -> None:
    latency = Histogram("demo_seconds", "Latency.", (1.0,))

    async def fails() -> None:
        raise RuntimeError("store gone")

    assert asyncio.run(latency.timed(asyncio.sleep(0, result=7))) == 7
    with pytest.raises(RuntimeError):
        asyncio.run(latency.timed(fails()))
    assert latency.count() == 2


@pytest.mark.parametrize(
    "make",
    [
        lambda: Counter("no_suffix", "x"),
        lambda: Counter("bad-name_total", "x"),
        lambda: Counter("demo_total", "x", ("le",)),
        lambda: Histogram("demo_seconds", "x", (1.0, 0.5)),
        lambda: Histogram("demo_seconds", "x", (1.0, float("inf"))),
        lambda: Histogram("demo_seconds", "x", ()),
    ],
)
def test_malformed_metrics_are_refused_at_definition(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_wrong_labels_and_negative_increments_are_refused() -> None:
    counter = Counter("demo_total", "x", ("mode",))
    with pytest.raises(ValueError):
        counter.inc(kind="answer")
    with pytest.raises(ValueError):
        counter.inc(-1, mode="answer")


def test_values_are_written_as_prometheus_reads_them() -> None:
    assert [format_value(v) for v in (3, 2.5, float("inf"), float("-inf"), float("nan"))] == [
        "3",
        "2.5",
        "+Inf",
        "-Inf",
        "NaN",
    ]
    assert escape_label_value('a"b') == 'a\\"b'


def test_the_bots_registry_renders_every_named_metric_with_valid_lines() -> None:
    text = metrics.REGISTRY.render()
    for name in (
        "knownfix_messages_seen_total",
        "knownfix_prefilter_passes_total",
        "knownfix_matches_total",
        "knownfix_replies_total",
        "knownfix_asked_total",
        "knownfix_votes_total",
        "knownfix_gaps_recorded_total",
        "knownfix_errors_total",
        "knownfix_match_seconds",
        "knownfix_store_seconds",
    ):
        assert f"# TYPE {name} " in text
    assert 'knownfix_replies_total{mode="find-a-fix"} 0' in text
    assert 'knownfix_votes_total{kind="wrong",via="button"} 0' in text
    assert all(SAMPLE.match(line) for line in text.splitlines() if not line.startswith("#"))


def test_vote_kinds_follow_the_store_options() -> None:
    assert [vote_kind(o) for o in ("w:set-device", "none", "wrong")] == ["workaround", "none", "wrong"]
