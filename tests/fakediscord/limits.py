"""Discord's documented limits on what a bot sends, checked the way Discord checks them.

Each check returns a list of `Problem`s; `form_error` turns them into the body Discord answers with:
HTTP 400, code 50035 "Invalid Form Body", and an `errors` tree keyed by the path of each bad value
(https://discord.com/developers/docs/reference#error-messages).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# https://discord.com/developers/docs/resources/message#embed-object-embed-limits
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_NAME_MAX = 256
EMBED_TOTAL_MAX = 6000
EMBEDS_MAX = 10
# https://discord.com/developers/docs/resources/message#create-message
CONTENT_MAX = 2000
FILES_MAX = 10
UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # a guild without boosts
# https://discord.com/developers/docs/components/reference
CUSTOM_ID_MAX = 100
ACTION_ROWS_MAX = 5
ROW_ITEMS_MAX = 5
BUTTON_LABEL_MAX = 80
# https://discord.com/developers/docs/resources/message#create-reaction
UNIQUE_REACTIONS_MAX = 20
# https://discord.com/developers/docs/interactions/receiving-and-responding
AUTOCOMPLETE_CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
MODAL_TITLE_MAX = 45
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_PLACEHOLDER_MAX = 100
TEXT_INPUT_LENGTH_MAX = 4000
# https://discord.com/developers/docs/interactions/application-commands
COMMANDS_MAX = {1: 100, 2: 5, 3: 5}  # chat input, user and message context menus
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
CHAT_INPUT_NAME = re.compile(r"^[-_'\w]{1,32}$")

ALLOWED_MENTION_TYPES = {"users", "roles", "everyone"}


@dataclass(frozen=True)
class Problem:
    path: tuple[str | int, ...]
    code: str
    message: str


def form_error(problems: Sequence[Problem]) -> dict[str, Any]:
    """Discord's 400 body for invalid input: every problem under its path in `errors`."""
    errors: dict[str, Any] = {}
    for problem in problems:
        node = errors
        for key in problem.path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": problem.code, "message": problem.message})
    return {"message": "Invalid Form Body", "code": 50035, "errors": errors}


def _too_long(path: tuple[str | int, ...], value: object, limit: int) -> list[Problem]:
    if isinstance(value, str) and len(value) > limit:
        return [Problem(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")]
    return []


def _required_text(path: tuple[str | int, ...], value: object, limit: int) -> list[Problem]:
    if not isinstance(value, str) or not value.strip():
        return [Problem(path, "BASE_TYPE_REQUIRED", "This field is required")]
    return _too_long(path, value, limit)


def embed_size(embed: Mapping[str, Any]) -> int:
    """The characters Discord counts toward the 6000 total: title, description, field names and values,
    footer text and author name."""
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or []:
        size += len(field.get("name") or "") + len(field.get("value") or "")
    size += len((embed.get("footer") or {}).get("text") or "")
    size += len((embed.get("author") or {}).get("name") or "")
    return size


def check_embeds(embeds: object, base: tuple[str | int, ...] = ("embeds",)) -> list[Problem]:
    if embeds is None:
        return []
    if not isinstance(embeds, list):
        return [Problem(base, "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")]
    problems: list[Problem] = []
    if len(embeds) > EMBEDS_MAX:
        problems.append(Problem(base, "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length."))
    total = 0
    for i, embed in enumerate(embeds):
        path = (*base, i)
        if not isinstance(embed, dict):
            problems.append(Problem(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"))
            continue
        total += embed_size(embed)
        problems += _too_long((*path, "title"), embed.get("title"), EMBED_TITLE_MAX)
        problems += _too_long((*path, "description"), embed.get("description"), EMBED_DESCRIPTION_MAX)
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            problems.append(
                Problem((*path, "fields"), "BASE_TYPE_MAX_LENGTH", f"Must be {EMBED_FIELDS_MAX} or fewer in length.")
            )
        for j, field in enumerate(fields):
            problems += _required_text((*path, "fields", j, "name"), field.get("name"), EMBED_FIELD_NAME_MAX)
            problems += _required_text((*path, "fields", j, "value"), field.get("value"), EMBED_FIELD_VALUE_MAX)
        footer = embed.get("footer")
        if footer is not None:
            problems += _required_text((*path, "footer", "text"), footer.get("text"), EMBED_FOOTER_MAX)
        author = embed.get("author")
        if author is not None:
            problems += _required_text((*path, "author", "name"), author.get("name"), EMBED_AUTHOR_NAME_MAX)
        colour = embed.get("color")
        if colour is not None and not (isinstance(colour, int) and 0 <= colour <= 0xFFFFFF):
            problems.append(Problem((*path, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215 and >= 0."))
    if total > EMBED_TOTAL_MAX:
        problems.append(
            Problem(base, "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}")
        )
    return problems


def _walk_components(components: Iterable[Any], path: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    for i, component in enumerate(components):
        here = (*path, i)
        if not isinstance(component, dict):
            continue
        custom_id = component.get("custom_id")
        if custom_id is not None:
            problems += _required_text((*here, "custom_id"), custom_id, CUSTOM_ID_MAX)
        problems += _too_long((*here, "label"), component.get("label"), BUTTON_LABEL_MAX)
        children = component.get("components")
        if isinstance(children, list):
            if component.get("type") == 1 and len(children) > ROW_ITEMS_MAX:
                problems.append(
                    Problem(
                        (*here, "components"), "BASE_TYPE_MAX_LENGTH", f"Must be {ROW_ITEMS_MAX} or fewer in length."
                    )
                )
            problems += _walk_components(children, (*here, "components"))
        child = component.get("component")
        if isinstance(child, dict):
            problems += _walk_components([child], (*here, "component"))
    return problems


def check_components(components: object) -> list[Problem]:
    if not components:
        return []
    if not isinstance(components, list):
        return [Problem(("components",), "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")]
    problems: list[Problem] = []
    if len(components) > ACTION_ROWS_MAX and all(c.get("type") == 1 for c in components if isinstance(c, dict)):
        problems.append(
            Problem(("components",), "BASE_TYPE_MAX_LENGTH", f"Must be {ACTION_ROWS_MAX} or fewer in length.")
        )
    return problems + _walk_components(components, ("components",))


def check_allowed_mentions(payload: Mapping[str, Any], *, require: bool) -> list[Problem]:
    """Discord's own rules for allowed_mentions; `require` adds the harness's rule that it is always sent."""
    mentions = payload.get("allowed_mentions")
    if mentions is None:
        if require:
            return [
                Problem(
                    ("allowed_mentions",),
                    "BASE_TYPE_REQUIRED",
                    "This field is required (fake Discord: a bot message must say which mentions may ping)",
                )
            ]
        return []
    if not isinstance(mentions, dict):
        return [Problem(("allowed_mentions",), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")]
    problems: list[Problem] = []
    parse = mentions.get("parse", [])
    for i, kind in enumerate(parse if isinstance(parse, list) else []):
        if kind not in ALLOWED_MENTION_TYPES:
            problems.append(
                Problem(
                    ("allowed_mentions", "parse", i),
                    "BASE_TYPE_CHOICES",
                    f"Value must be one of {ALLOWED_MENTION_TYPES}.",
                )
            )
    for kind in ("users", "roles"):
        listed = mentions.get(kind)
        if listed and kind in (parse or []):
            problems.append(
                Problem(
                    ("allowed_mentions",),
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )
            )
        if listed and len(listed) > 100:
            problems.append(
                Problem(("allowed_mentions", kind), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
            )
    return problems


def check_message(
    payload: Mapping[str, Any], *, files: int = 0, editing: bool = False, require_allowed_mentions: bool = True
) -> list[Problem]:
    """The body of create/edit message, execute webhook, and message interaction responses."""
    problems: list[Problem] = []
    problems += _too_long(("content",), payload.get("content"), CONTENT_MAX)
    problems += check_embeds(payload.get("embeds"))
    problems += check_components(payload.get("components"))
    if files > FILES_MAX:
        problems.append(Problem(("files",), "BASE_TYPE_MAX_LENGTH", f"Must be {FILES_MAX} or fewer in length."))
    has_body = any(payload.get(key) for key in ("embeds", "components", "sticker_ids", "poll", "attachments")) or bool(
        (payload.get("content") or "").strip()
    )
    if has_body or files:
        problems += check_allowed_mentions(payload, require=require_allowed_mentions)
    return problems


def is_empty_message(payload: Mapping[str, Any], files: int) -> bool:
    """Discord answers 50006 "Cannot send an empty message" to these."""
    if files:
        return False
    if (payload.get("content") or "").strip():
        return False
    return not any(payload.get(key) for key in ("embeds", "components", "sticker_ids", "poll"))


def check_autocomplete(data: Mapping[str, Any]) -> list[Problem]:
    choices = data.get("choices")
    if not isinstance(choices, list):
        return [Problem(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")]
    problems: list[Problem] = []
    if len(choices) > AUTOCOMPLETE_CHOICES_MAX:
        problems.append(
            Problem(
                ("data", "choices"), "BASE_TYPE_MAX_LENGTH", f"Must be {AUTOCOMPLETE_CHOICES_MAX} or fewer in length."
            )
        )
    for i, choice in enumerate(choices):
        problems += _required_text(("data", "choices", i, "name"), choice.get("name"), CHOICE_NAME_MAX)
        value = choice.get("value")
        if isinstance(value, str):
            problems += _too_long(("data", "choices", i, "value"), value, CHOICE_VALUE_MAX)
        elif not isinstance(value, int | float):
            problems.append(Problem(("data", "choices", i, "value"), "BASE_TYPE_REQUIRED", "This field is required"))
    return problems


def _text_inputs(components: Iterable[Any]) -> Iterable[tuple[tuple[str | int, ...], dict[str, Any]]]:
    for i, component in enumerate(components):
        if not isinstance(component, dict):
            continue
        if component.get("type") == 4:
            yield ("data", "components", i), component
        for j, child in enumerate(component.get("components") or []):
            if isinstance(child, dict) and child.get("type") == 4:
                yield ("data", "components", i, "components", j), child
        child = component.get("component")
        if isinstance(child, dict) and child.get("type") == 4:
            yield ("data", "components", i, "component"), child


def check_modal(data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    problems += _required_text(("data", "title"), data.get("title"), MODAL_TITLE_MAX)
    problems += _required_text(("data", "custom_id"), data.get("custom_id"), CUSTOM_ID_MAX)
    components = data.get("components") or []
    if not 1 <= len(components) <= ACTION_ROWS_MAX:
        problems.append(Problem(("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."))
    for path, text_input in _text_inputs(components):
        problems += _required_text((*path, "custom_id"), text_input.get("custom_id"), CUSTOM_ID_MAX)
        if text_input.get("label") is not None:
            problems += _required_text((*path, "label"), text_input.get("label"), TEXT_INPUT_LABEL_MAX)
        problems += _too_long((*path, "placeholder"), text_input.get("placeholder"), TEXT_INPUT_PLACEHOLDER_MAX)
        problems += _too_long((*path, "value"), text_input.get("value"), TEXT_INPUT_LENGTH_MAX)
        for key in ("min_length", "max_length"):
            number = text_input.get(key)
            if number is not None and not 0 <= int(number) <= TEXT_INPUT_LENGTH_MAX:
                problems.append(
                    Problem(
                        (*path, key), "NUMBER_TYPE_MAX", f"int value should be <= {TEXT_INPUT_LENGTH_MAX} and >= 0."
                    )
                )
    return problems


def _check_options(options: Sequence[Any], path: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    if len(options) > COMMAND_OPTIONS_MAX:
        problems.append(Problem(path, "BASE_TYPE_MAX_LENGTH", f"Must be {COMMAND_OPTIONS_MAX} or fewer in length."))
    seen_optional = False
    for i, option in enumerate(options):
        here = (*path, i)
        name = option.get("name")
        if not isinstance(name, str) or not CHAT_INPUT_NAME.match(name) or name != name.lower():
            problems.append(Problem((*here, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
        problems += _required_text((*here, "description"), option.get("description"), COMMAND_DESCRIPTION_MAX)
        if option.get("type") in (1, 2):
            problems += _check_options(option.get("options") or [], (*here, "options"))
            continue
        if option.get("required"):
            if seen_optional:
                problems.append(
                    Problem(
                        here,
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            seen_optional = True
        if option.get("autocomplete") and option.get("choices"):
            problems.append(
                Problem((*here, "autocomplete"), "AUTOCOMPLETE_AND_CHOICES", "Autocomplete cannot be set with choices")
            )
        if len(option.get("choices") or []) > AUTOCOMPLETE_CHOICES_MAX:
            problems.append(Problem((*here, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    return problems


def check_commands(commands: object) -> list[Problem]:
    """The body of bulk overwrite application commands (global or guild)."""
    if not isinstance(commands, list):
        return [Problem((), "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")]
    problems: list[Problem] = []
    seen: set[tuple[int, str]] = set()
    counts: dict[int, int] = {}
    for i, command in enumerate(commands):
        kind = int(command.get("type", 1))
        name = command.get("name")
        counts[kind] = counts.get(kind, 0) + 1
        if not isinstance(name, str) or not 1 <= len(name) <= COMMAND_NAME_MAX:
            problems.append(Problem((i, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."))
            continue
        if (kind, name) in seen:
            problems.append(
                Problem(
                    (i, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique: {name}",
                )
            )
        seen.add((kind, name))
        if kind == 1:
            if not CHAT_INPUT_NAME.match(name) or name != name.lower():
                problems.append(Problem((i, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
            problems += _required_text((i, "description"), command.get("description"), COMMAND_DESCRIPTION_MAX)
            problems += _check_options(command.get("options") or [], (i, "options"))
        elif command.get("description"):
            problems.append(
                Problem(
                    (i, "description"),
                    "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                    "Context menu commands cannot have description",
                )
            )
    for kind, count in counts.items():
        if count > COMMANDS_MAX.get(kind, 100):
            problems.append(
                Problem((), "APPLICATION_COMMANDS_TOO_MANY", f"Maximum number of type {kind} commands reached")
            )
    return problems
