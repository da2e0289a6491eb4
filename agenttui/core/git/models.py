"""Frozen snapshots of git state.  Plain data: the UI renders them, core diffs them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

OPERATIONS = ("rebase", "merge", "cherry-pick", "revert", "bisect")


@dataclass(frozen=True)
class RepoPaths:
    """Where a repository lives."""

    git_dir: Path  # this checkout's git dir (per-worktree)
    common_dir: Path  # shared git dir (refs, objects, worktrees/)
    bare: bool
    toplevel: Path | None  # working tree root of the checkout REPO points into; None when bare

    @property
    def agenttui_dir(self) -> Path:
        """agenttui's own state: inside the common git dir, inside no working tree."""
        return self.common_dir / "agenttui"


@dataclass(frozen=True)
class HeadState:
    """HEAD of one checkout: a branch or a detached sha, and any operation in progress."""

    branch: str | None  # short branch name, None when detached
    sha: str | None  # None when the branch is unborn (no commits yet)
    detached: bool
    operation: str | None  # one of OPERATIONS, or None
    index_locked: bool

    @property
    def describe(self) -> str:
        if self.detached:
            where = f"detached at {(self.sha or '')[:10]}"
        elif self.sha is None:
            where = f"{self.branch} (no commits yet)"
        else:
            where = str(self.branch)
        if self.operation:
            where += f", {self.operation} in progress"
        return where


@dataclass(frozen=True)
class Worktree:
    path: Path
    head: str | None  # sha; None for an unborn branch
    branch: str | None  # short name; None when detached or bare
    detached: bool
    bare: bool
    locked: bool
    locked_reason: str | None
    prunable: bool
    prunable_reason: str | None
    is_main: bool
    dirty: int | None = None  # changed + untracked files; None when not computed

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        return d


@dataclass(frozen=True)
class Branch:
    name: str
    sha: str
    date: int  # committer date, unix seconds
    subject: str
    upstream: str | None
    track: str | None  # e.g. "[ahead 1, behind 2]" or "[gone]"
    worktree: Path | None  # the worktree that has it checked out
    merged: bool | None  # merged into the base ref; None when not computed

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["worktree"] = str(self.worktree) if self.worktree else None
        return d


@dataclass(frozen=True)
class Stash:
    index: int
    sha: str
    date: int
    branch: str | None  # branch it was made on ("(no branch)" when detached)
    message: str  # reflog subject, e.g. "On main: others-work-again"
    files: int  # number of files it holds: tracked changes and untracked files (`stash push -u`)
    untracked: int = 0  # of those, untracked files (the stash's third parent)

    @property
    def files_text(self) -> str:
        noun = "file" if self.files == 1 else "files"
        return f"{self.files} {noun} ({self.untracked} untracked)" if self.untracked else f"{self.files} {noun}"

    @property
    def ref(self) -> str:
        return f"stash@{{{self.index}}}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RepoSnapshot:
    """Everything ``agenttui status`` reports, read at one moment."""

    paths: RepoPaths
    head: HeadState | None
    worktrees: tuple[Worktree, ...]
    branches: tuple[Branch, ...]
    stashes: tuple[Stash, ...]
    main_checkout: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
