"""The knowledge entry: what one known error is, why it happens, and what fixes it.

Entries are frozen: they are validated once when the knowledge base loads and never change while the
bot runs. Observed fix rates (from feedback) live in the store, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from packaging.specifiers import SpecifierSet


class Verification(StrEnum):
    """How far an entry's facts have been checked, weakest first."""

    AI_GENERATED = "ai_generated"
    COMMUNITY = "community"
    # Reproduced once, but the reproducer no longer raises on the version in `verified_on`: the facts held
    # for older versions and the error may be fixed upstream.
    STALE = "stale"
    REPRODUCED = "reproduced"
    EXPERT = "expert"


class EntryKind(StrEnum):
    ERROR = "error"  # there is an error line people paste
    SYMPTOM = "symptom"  # people describe it in words; no single error line


@dataclass(frozen=True, slots=True)
class VersionRange:
    """The versions of one library something applies to: `torch` and `>=2.0`, as a PEP 440 specifier set.

    `library` is the canonical package name (`torch`, `transformers`), or `python`, or `cuda` (the CUDA
    the torch build was made for). Parsed and checked once, when the knowledge loads."""

    library: str
    specifier: SpecifierSet

    def __str__(self) -> str:
        return f"{self.library} {self.specifier}"


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: str
    status: str
    introduced: str | None = None
    deprecated: str | None = None
    # Which versions print this row's wording; rows without one say it in `version`'s words only.
    applies_to: tuple[VersionRange, ...] = ()


@dataclass(frozen=True, slots=True)
class Workaround:
    title: str
    success_rate: float
    code: str = ""
    condition: str | None = None
    lang: str | None = None
    # Votes already folded into success_rate by `kb apply-feedback`: the live rate counts only the rest,
    # so no report is counted twice.
    applied_fixed: int = 0
    applied_failed: int = 0
    # The stable name votes are stored under (unique within the entry): reordering or retitling the
    # workarounds keeps their history. The loader always sets it (see bot.knowledge.ids).
    id: str = ""
    # The versions the workaround is for (its code calls an API only some versions have); empty: all.
    applies_to: tuple[VersionRange, ...] = ()


@dataclass(frozen=True, slots=True)
class DeadEnd:
    action: str
    why: str
    fail_rate: float


@dataclass(frozen=True, slots=True)
class Reproducer:
    code: str
    requires: tuple[str, ...] = ()
    # Set when the script raises a close relative of the error, not the error itself (no GPU here, so a
    # `meta` tensor stands in for a CUDA one): it still tests matching, but does not prove the entry.
    stand_in: str | None = None


@dataclass(frozen=True, slots=True)
class Context:
    libraries: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    title: str
    domain: str
    category: str
    verification: Verification
    fix_rate: float
    root_cause: str
    kind: EntryKind = EntryKind.ERROR
    # The error line only reports that a process or step it ran failed (torchrun's ChildFailedError, pip's
    # subprocess-exited-with-error, subprocess's CalledProcessError), or is the message many causes print alike
    # (`SyntaxError: invalid syntax`, which the pip-at-the-prompt entry's signatures end in too; Windows' `DLL load
    # failed`, PyTorch's and NumPy's too; `takes 1 positional argument but 2 were given`, PyTorch's forward() too; a
    # bare `NotImplementedError`, PyTorch's, Keras' and asyncio's too; a dict's `KeyError`, pandas' and os.environ's
    # too; a str's missing attribute, `decode`'s too; `'module' object is not callable`, the datetime module's too):
    # where the paste holds the failure itself and another entry proves it, that entry is the answer
    # (evidence.combine, [scoring] summary_yield).
    summary: bool = False
    exception: str | None = None
    signatures: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    # name -> a pattern with the named group (?P<name>...): the asker's values for `{{name:example}}` in
    # workaround code (bot.knowledge.placeholders). A tuple of pairs: the entry stays frozen and hashable.
    placeholders: tuple[tuple[str, str], ...] = ()
    context: Context = field(default_factory=Context)
    verified_on: str | None = None
    # The versions the error happens on (`torch >=2.0` for an API removed in 2.0); empty: any version.
    applies_to: tuple[VersionRange, ...] = ()
    versions: tuple[VersionRow, ...] = ()
    workarounds: tuple[Workaround, ...] = ()
    dead_ends: tuple[DeadEnd, ...] = ()
    sources: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    reproducer: Reproducer | None = None
    source_note: str | None = None
    # Where the entry was loaded from; not part of the entry's identity.
    path: str | None = field(default=None, compare=False)

    @property
    def all_signatures(self) -> tuple[str, ...]:
        """The title and every signature, without repeats, title first."""
        seen: dict[str, None] = {self.title: None}
        for s in self.signatures:
            seen.setdefault(s, None)
        return tuple(seen)

    @property
    def exception_name(self) -> str | None:
        """The exception's class name without its module (`torch.OutOfMemoryError` -> `OutOfMemoryError`)."""
        if not self.exception:
            return None
        return self.exception.rsplit(".", 1)[-1]
