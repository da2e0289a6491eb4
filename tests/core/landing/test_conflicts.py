"""Merge-conflict prediction with git merge-tree: no checkout is touched."""

from __future__ import annotations

from pathlib import Path

from agenttui.core.git import repo as gitrepo
from agenttui.core.landing import conflicts
from tests.support.repos import git, make_repo


def branch_with(r: Path, name: str, files: dict[str, str]) -> None:
    git(r, "checkout", "-q", "-b", name, "main")
    for f, text in files.items():
        (r / f).write_text(text)
    git(r, "add", "-A")
    git(r, "commit", "-qm", name)
    git(r, "checkout", "-q", "main")


def test_matrix(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    branch_with(r, "agents/a", {"file0.txt": "a\n"})
    branch_with(r, "agents/b", {"file0.txt": "b\n"})
    branch_with(r, "agents/c", {"other.txt": "c\n"})
    status_before = git(r, "status", "--porcelain")
    head_before = git(r, "rev-parse", "HEAD")
    paths = gitrepo.open_repo(r)
    preds = conflicts.matrix(paths, {n: f"agents/{n}" for n in "abc"}, {n: "main" for n in "abc"})
    by = {(p.a, p.b): p for p in preds}
    assert by[("agents/a", "agents/b")].clean is False
    assert by[("agents/a", "agents/b")].files == ("file0.txt",)
    assert by[("agents/a", "agents/c")].clean is True and by[("agents/a", "agents/c")].cell == "ok"
    assert by[("main", "agents/a")].clean is True
    assert git(r, "status", "--porcelain") == status_before and git(r, "rev-parse", "HEAD") == head_before
    bad = conflicts.predict(paths, "agents/a", "no-such")
    assert bad.clean is None and bad.error
