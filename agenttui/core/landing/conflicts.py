"""Predict merge conflicts between agent branches without touching any checkout.

``git merge-tree --write-tree`` (git >= 2.38) merges in memory: exit 0 clean, exit 1 conflicts
(the conflicted paths follow the tree id with ``--name-only``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

from agenttui.core.errors import first_line
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git.models import RepoPaths


@dataclass(frozen=True)
class Prediction:
    a: str
    b: str
    clean: bool | None  # None: could not tell (error)
    files: tuple[str, ...] = ()
    error: str | None = None

    @property
    def cell(self) -> str:
        if self.clean is None:
            return "?"
        return "ok" if self.clean else f"✗ {len(self.files)}"


def predict(paths: RepoPaths, a: str, b: str) -> Prediction:
    st, out, err = gitcmd.run(
        paths.common_dir,
        ["merge-tree", "--write-tree", "--name-only", "--no-messages", "--end-of-options", a, b],
        check=False,
    )
    if st == 0:
        return Prediction(a, b, True)
    head = out.splitlines()[0] if out.strip() else ""
    if st == 1 and re.fullmatch(r"[0-9a-f]{40,64}", head):
        lines = [ln for ln in out.splitlines()[1:] if ln.strip()]
        return Prediction(a, b, False, tuple(dict.fromkeys(lines)))
    first = first_line(err, f"exit {st}")
    return Prediction(a, b, None, error=first)


def matrix(paths: RepoPaths, branches: dict[str, str], bases: dict[str, str]) -> list[Prediction]:
    """Every pair of agent branches, and each branch against its base (label -> ref)."""
    out = [predict(paths, branches[x], branches[y]) for x, y in combinations(sorted(branches), 2)]
    out += [predict(paths, bases[x], branches[x]) for x in sorted(branches) if x in bases]
    return out


@dataclass(frozen=True)
class ConflictTable:
    """The forecast as the conflict view shows it: agents, cells, and the conflicting paths."""

    names: tuple[str, ...]
    cells: dict[tuple[str, str], str]  # (agent, agent) or (agent, "base") -> "ok" / "✗ n" / "?"
    details: tuple[str, ...]


def table(paths: RepoPaths, branches: dict[str, str], bases: dict[str, str]) -> ConflictTable:
    """Every pair of agent branches, and each branch against its base (agent -> ref)."""
    names = sorted(branches)
    cells: dict[tuple[str, str], str] = {}
    details: list[str] = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            p = predict(paths, branches[a], branches[b])
            cells[(a, b)] = p.cell
            if p.clean is False:
                details.append(f"{a} × {b}: {', '.join(p.files[:5])}")
        p = predict(paths, bases.get(a, "HEAD"), branches[a])
        cells[(a, "base")] = p.cell
        if p.clean is False:
            details.append(f"{a} × its base {bases.get(a, 'HEAD')}: {', '.join(p.files[:5])}")
    return ConflictTable(tuple(names), cells, tuple(details))
