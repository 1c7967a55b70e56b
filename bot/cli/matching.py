"""`knownfix match`: a paste or a batch of them, answered as the bot answers, for a terminal or as JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from bot.cli.loading import engine_for
from bot.cli.mistakes import one_line
from bot.cli.reading import input_stream, read_input
from bot.matching.matcher import Match, MatchResult
from bot.render.terminal import NO_MATCH, render_reply, render_short, style_for
from bot.reply import Reply
from bot.service import Service


def result_json(result: MatchResult) -> dict[str, Any]:
    return {
        "matches": [
            {
                "id": m.entry.id,
                "score": m.score,
                "probability": m.probability,
                "confidence": m.confidence.value,
                "via": m.via,
            }
            for m in result.matches
        ],
        "reply": result.reply,
        "answer": result.answer,
    }


def reply_json(result: MatchResult, reply: Reply | None) -> dict[str, Any]:
    """The match and the reply for its best entry (the service's, `reply`), as `match --json` prints them."""
    out = result_json(result)
    if reply is not None:
        e = reply.entry
        out["entry"] = {
            "id": e.id,
            "title": e.title,
            "root_cause": e.root_cause,
            "verification": e.verification.value,
            # `rank`: the position shown (best live fix rate first); `number`: the entry's own order.
            "workarounds": [
                {
                    "rank": rank,
                    "number": r.number,
                    "id": r.workaround.id,
                    "title": r.workaround.title,
                    "fix_rate": round(r.rate.observed, 4),
                    "reports": r.rate.reports,
                    "condition": r.workaround.condition,
                    "code": r.shown_code,
                    "for_your_versions": r.for_asker,
                }
                for rank, r in enumerate(reply.workarounds, 1)
            ],
            "dead_ends": [{"action": d.action, "why": d.why, "fail_rate": d.fail_rate} for d in reply.dead_ends],
            "applies_to": {r.library: str(r.specifier) for r in e.applies_to},
            "asker_error": reply.asker_error,
            "for_your_versions": reply.entry_for_asker,
        }
    # The versions the paste stated (collect_env, pip list, nvidia-smi, ...): null when it stated none.
    environment = result.environment
    out["environment"] = environment.as_json() if environment is not None and not environment.empty else None
    return out


def _jsonl_text(raw: bytes) -> str:
    """The "text" of one batch line; ValueError says what is wrong with a line that has none."""
    try:
        payload = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("the line is not UTF-8 text") from None
    except RecursionError:  # brackets nested past what the parser recurses into
        raise ValueError("the line is not JSON (nested too deeply)") from None
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        raise ValueError('each line must be an object with a string "text"')
    return text


async def _match_lines(service: Service, lines: Iterable[bytes], top: int, out: TextIO) -> None:
    """One JSON record out for each non-blank line in, in order; a bad line gets a record with its error."""
    for raw in lines:
        if not raw.strip():
            continue
        try:
            record = result_json(await service.match(_jsonl_text(raw), top=top))
        except ValueError as exc:  # JSONDecodeError is one
            record = {"matches": [], "reply": False, "answer": False, "error": str(exc)}
        out.write(json.dumps(record) + "\n")


async def _match_text(service: Service, text: str, args: argparse.Namespace, out: TextIO) -> int:
    if args.json:
        result = await service.match(text, top=args.top)
        out.write(json.dumps(reply_json(result, await service.reply_for(result)), indent=2) + "\n")
        return 0
    asked = await service.answer(text, top=args.top)
    if asked.reply is None:
        out.write(_candidates_text(asked.candidates) if asked.candidates else NO_MATCH)
        return 1
    style = style_for(out)
    out.write(render_short(asked.reply, style) if args.short else render_reply(asked.reply, style))
    return 0


def cmd_match(args: argparse.Namespace, out: TextIO) -> int:

    if args.jsonl:
        with input_stream(args.file) as lines:
            asyncio.run(_match_lines(Service.over(engine_for(args)), lines, args.top, out))
        return 0
    text = read_input(args.file)  # before loading the knowledge: input that cannot be read says so at once
    code: int = asyncio.run(_match_text(Service.over(engine_for(args)), text, args, out))
    return code


def _candidates_text(candidates: Sequence[Match]) -> str:
    """ "No confident match" and the closest entries (the service picks a few), to open with `knownfix kb show ID`."""
    lines = ["No confident match. The closest entries (open one with knownfix kb show ID):"]
    lines += [f"  - {m.entry.id}: {one_line(m.entry.title)[:100]}" for m in candidates]
    return "\n".join(lines) + "\n"
