"""cmd's "is not recognized as an internal or external command" in the other languages Windows prints it in.

People paste the line their own Windows printed: `'pip' 不是内部或外部命令，也不是可运行的程序`, `Der Befehl "pip" ist
entweder falsch geschrieben oder`, `'python'은(는) 내부 또는 외부 명령, ...`. Each is console output, an error line as
the English wording is, but only right after the quoted command as cmd prints it: a sentence that says the same in
words ("cmd 里输入 pip 提示不是内部或外部命令") is a description.

The phrases are searched apart from extraction's console pattern: as alternatives there, phrases starting with
common letters ("n'est", "ist") made its scan of a chat message twice as slow, while a substring test settles nearly
every text here first. Each search starts from the phrase's own literal and checks the quote behind it.
"""

from __future__ import annotations

import re

# The quote cmd prints around the command it did not find (or a chat client's curly version of it).
_QUOTE = "[\"'\u2018\u2019\u201c\u201d\u00ab\u00bb]"
# (what cmd prints between the closing quote and the phrase, the phrase)
_PHRASES = (
    (" ", "不是内部或外部命令"),  # Chinese, simplified
    (" ", "不是內部或外部命令"),  # Chinese, traditional
    (" ", "n'est pas reconnu en tant que commande"),
    (" ", "no se reconoce como un comando"),
    (" ", "não é reconhecido como um comando"),
    (" ", "ist entweder falsch geschrieben"),  # German: Der Befehl "pip" ist entweder falsch geschrieben
    (" ", "не является внутренней или внешней"),
    (" は、", "内部コマンドまたは外部コマンド"),
    ("은\\(는\\) ", "내부 또는 외부 명령"),
)
# Substrings every such line holds, for extraction's look at which lines may be errors.
MARKS = tuple(phrase for _, phrase in _PHRASES)
_SEARCH = re.compile("|".join(f"{phrase}(?<={_QUOTE}{lead}{phrase})" for lead, phrase in _PHRASES))


def cmd_not_recognized(text: str) -> re.Match[str] | None:
    """Where cmd's message in another language starts in `text` (after the quoted command), or None."""
    if not any(mark in text for mark in MARKS):
        return None
    return _SEARCH.search(text)
