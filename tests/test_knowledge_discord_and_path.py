"""Seven entries for what a Python help channel hears most that the knowledge base did not cover: `python` not on
PATH, and a discord.py bot that will not log in, whose slash commands are not synced, whose `on_message` swallows
its commands, that Discord rate limits, whose voice lacks ffmpeg, PyNaCl or opus, or whose `import discord` is an
old or another library.

Every wording an entry lists must find it when pasted alone (people paste the line they see, and which line that
is depends on the shell, the library and its version), the neighbours they were carved from must keep their own
errors, and a description in our own words must rank the entry first. Runs the real engine on the bundled
knowledge.
"""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.knowledge.loader import load_knowledge

from .conftest import REPO, best_entry_id

NEW_ENTRIES = (
    "python/python-not-on-path",
    "python/discord-login-failure",
    "python/discord-app-commands-not-synced",
    "python/discord-on-message-blocks-commands",
    "python/discord-rate-limited",
    "python/discord-voice-dependencies",
    "python/discord-package-conflict",
)


def _wordings() -> list[tuple[str, str]]:
    kb = load_knowledge([REPO / "knowledge"])
    return [(signature, entry_id) for entry_id in NEW_ENTRIES for signature in kb.by_id[entry_id].signatures]


@pytest.mark.parametrize(("wording", "expected"), _wordings())
def test_every_wording_pasted_alone_finds_its_entry(bundled_engine: Engine, wording: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, wording) == expected


def test_a_pasted_login_failure_is_answered_unprompted(bundled_engine: Engine) -> None:
    traceback = """Traceback (most recent call last):
  File "/home/me/bot/venv/lib/python3.11/site-packages/discord/http.py", line 803, in static_login
    data = await self.request(Route('GET', '/users/@me'))
  File "/home/me/bot/venv/lib/python3.11/site-packages/discord/http.py", line 745, in request
    raise HTTPException(response, data)
discord.errors.HTTPException: 401 Unauthorized (error code: 0): 401: Unauthorized

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/home/me/bot/main.py", line 40, in <module>
    bot.run(TOKEN)
  File "/home/me/bot/venv/lib/python3.11/site-packages/discord/http.py", line 807, in static_login
    raise LoginFailure('Improper token has been passed.') from exc
discord.errors.LoginFailure: Improper token has been passed."""
    result = bundled_engine.match(traceback)
    assert result.best is not None and result.best.entry.id == "python/discord-login-failure"
    assert result.reply and result.answer


# Neighbours the new entries were carved from: each keeps its own error.
NEIGHBOURS = [
    (
        "'pip' is not recognized as an internal or external command,\noperable program or batch file.",
        "pip/command-not-found",
    ),
    ("zsh: command not found: pip", "pip/command-not-found"),
    (
        "'jupyter' is not recognized as an internal or external command,\noperable program or batch file.",
        "jupyter/command-not-found",
    ),
    (
        "discord.errors.NotFound: 404 Not Found (error code: 10062): Unknown interaction",
        "python/discord-unknown-interaction",
    ),
    (
        "discord.errors.Forbidden: 403 Forbidden (error code: 50013): Missing Permissions",
        "python/discord-missing-permissions",
    ),
    (
        "TypeError: Client.__init__() missing 1 required keyword-only argument: 'intents'",
        "python/discord-intents-required",
    ),
    ("RuntimeWarning: coroutine 'main' was never awaited", "python/coroutine-never-awaited"),
]


@pytest.mark.parametrize(("line", "expected"), NEIGHBOURS)
def test_neighbours_keep_their_own_errors(bundled_engine: Engine, line: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, line) == expected


# Our own descriptions, none of them a corpus case or an entry's listed symptom.
DESCRIPTIONS = [
    ("typing python in the windows terminal just opens the microsoft store page", "python/python-not-on-path"),
    (
        "my discord bot won't start, it says the token is improper even though I copied it",
        "python/discord-login-failure",
    ),
    (
        "discord reset my bot token after I pushed the code to github and now it can't log in",
        "python/discord-login-failure",
    ),
    (
        "I added a new slash command to my discord.py bot but it doesn't appear when I type /",
        "python/discord-app-commands-not-synced",
    ),
    (
        "since I wrote an on_message event none of my bot's prefix commands do anything",
        "python/discord-on-message-blocks-commands",
    ),
    ("my discord bot on replit gets a 429 too many requests error every time it starts", "python/discord-rate-limited"),
    (
        "my music bot joins the voice channel but says ffmpeg was not found when it plays",
        "python/discord-voice-dependencies",
    ),
    (
        "after pip install py-cord my discord.py bot says module discord has no attribute app_commands",
        "python/discord-package-conflict",
    ),
]


@pytest.mark.parametrize(("text", "expected"), DESCRIPTIONS)
def test_descriptions_rank_the_entry_first(bundled_engine: Engine, text: str, expected: str) -> None:
    assert best_entry_id(bundled_engine, text) == expected


# cmd's "is not recognized" as Windows prints it in other languages: the command's name is what tells the entries
# apart, so each language must reach both (the French, Spanish and Portuguese lines through the entries' patterns).
LOCALISED_NOT_RECOGNIZED = [
    "'{cmd}' 不是内部或外部命令，也不是可运行的程序\n或批处理文件。",
    'Der Befehl "{cmd}" ist entweder falsch geschrieben oder\nkonnte nicht gefunden werden.',
    "'{cmd}' n'est pas reconnu en tant que commande interne\nou externe, un programme exécutable ou un fichier de "
    "commandes.",
    '"{cmd}" no se reconoce como un comando interno o externo,\nprograma o archivo por lotes ejecutable.',
    "'{cmd}' não é reconhecido como um comando interno\nou externo, um programa operável ou um arquivo em lotes.",
    '"{cmd}" не является внутренней или внешней\nкомандой, исполняемой программой или пакетным файлом.',
    "'{cmd}' は、内部コマンドまたは外部コマンド、\n操作可能なプログラムまたはバッチ ファイルとして認識されていません。",
    "'{cmd}'은(는) 내부 또는 외부 명령, 실행할 수 있는 프로그램, 또는\n배치 파일이 아닙니다.",
]


@pytest.mark.parametrize("wording", LOCALISED_NOT_RECOGNIZED)
@pytest.mark.parametrize(
    ("cmd", "expected"), [("python", "python/python-not-on-path"), ("pip", "pip/command-not-found")]
)
def test_cmd_not_recognized_in_other_languages_finds_the_commands_entry(
    bundled_engine: Engine, wording: str, cmd: str, expected: str
) -> None:
    assert best_entry_id(bundled_engine, wording.format(cmd=cmd)) == expected
