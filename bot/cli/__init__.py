"""The `knownfix` command line: match text in a terminal, curate the knowledge base, evaluate, run the bot.

One module a group of commands (`matching`, `knowledge`, `database`, `evaluation`, `running`), what they share
(`mistakes`: a user's mistake as one line; `loading`: what a command names, checked; `reading`: bounded input), and
`parser`, which wires them into one parser and runs them.
"""

from bot.cli.parser import build_parser, main

__all__ = ["build_parser", "main"]
