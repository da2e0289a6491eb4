"""Commits, trees and blobs read through GitPython: one persistent ``git cat-file --batch`` for
every object read, instead of a process per ``ls-tree`` / ``diff`` / ``show``.

What runs where (docs/ARCHITECTURE.md, "Git"): listings, status, reflogs and every write go
through :mod:`.cmd` as porcelain (one call per listing; the exact argv is what tests and
benchmarks see; writes want git's own locking and hooks); reading many objects — the trees of
every place an incident's work may be, in salvage and the incident report — goes through here.
GitPython is imported only when an :class:`Objects` first reads (never on the start-up path),
and each is closed after use (its docs: long-running processes leak the cat-file children
otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from agenttui.core.git.models import RepoPaths

if TYPE_CHECKING:
    import git

#: entries of a tree: path -> (mode as ls-tree prints it, blob sha)
Entries = dict[str, tuple[str, str]]
_TREE, _BLOB_TYPES = "tree", ("blob",)


class Objects:
    """Object reads of one repository; a context manager (closing it ends the cat-file process)."""

    def __init__(self, paths: RepoPaths) -> None:
        self.paths = paths
        self._repo: git.Repo | None = None  # (opened at the first read: nothing to read, nothing imported)
        self._trees: dict[str, Any] = {}

    @property
    def repo(self) -> git.Repo:
        if self._repo is None:
            import git  # (lazily: an import the start-up path never pays, docs/MEASURED.md)

            self._repo = git.Repo(str(self.paths.common_dir))
        return self._repo

    def __enter__(self) -> Objects:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    # ------------------------------------------------------------------ reads
    def tree(self, rev: str) -> Any | None:
        """The tree of a commit or tree named by *rev* (``sha``, ``sha^3``, a ref); None if it has none."""
        if rev in self._trees:
            return self._trees[rev]
        import git

        try:
            obj = self.repo.rev_parse(rev)
            while obj.type == "tag":
                obj = obj.object
            tree = obj.tree if obj.type == "commit" else obj if obj.type == _TREE else None
        except (git.BadName, git.BadObject, ValueError, IndexError):
            tree = None
        self._trees[rev] = tree
        return tree

    def files(self, rev: str, only: list[str] | None = None) -> Entries:
        """Every file of *rev*'s tree (``ls-tree -r --full-tree``), or those at or under the paths in
        *only* (a folder's files, as a pathspec names them)."""
        tree = self.tree(rev)
        if tree is None:
            return {}
        if only is None:
            return dict(_walk(tree))
        out: Entries = {}
        for p in only:
            try:
                item = tree / p.strip("/") if p.strip("/") else tree
            except KeyError:
                continue
            if item.type == _TREE:
                out.update(_walk(item, f"{p.strip('/')}/" if p.strip("/") else ""))
            elif item.type in _BLOB_TYPES:
                out[p] = (_mode(item.mode), item.hexsha)
        return out

    def changed(self, a: str, b: str) -> tuple[list[str], list[str]]:
        """(changed or added, deleted) file paths from *a* to *b* (``diff --name-status
        --no-renames``), equal subtrees skipped by their id."""
        ta, tb = self.tree(a), self.tree(b)
        changed: list[str] = []
        deleted: list[str] = []
        if tb is None:
            return changed, deleted
        _diff(ta, tb, changed, deleted)
        return sorted(changed), sorted(deleted)

    def blob(self, sha: str) -> bytes:
        return bytes(self.repo.odb.stream(bytes.fromhex(sha)).read())


def _mode(m: int) -> str:
    return f"{m:06o}"


def _items(tree: Any) -> Iterator[tuple[str, Any]]:
    for item in tree:
        yield item.name, item


def _walk(tree: Any, prefix: str = "") -> Iterator[tuple[str, tuple[str, str]]]:
    for name, item in _items(tree):
        if item.type == _TREE:
            yield from _walk(item, f"{prefix}{name}/")
        elif item.type in _BLOB_TYPES:
            yield f"{prefix}{name}", (_mode(item.mode), item.hexsha)


def _diff(ta: Any | None, tb: Any | None, changed: list[str], deleted: list[str], prefix: str = "") -> None:
    a = dict(_items(ta)) if ta is not None else {}
    b = dict(_items(tb)) if tb is not None else {}
    for name in a.keys() | b.keys():
        x, y = a.get(name), b.get(name)
        path = f"{prefix}{name}"
        if x is not None and y is not None and x.binsha == y.binsha and x.mode == y.mode:
            continue  # (the same subtree or blob: nothing under it changed)
        x_tree = x is not None and x.type == _TREE
        y_tree = y is not None and y.type == _TREE
        if x_tree or y_tree:
            _diff(x if x_tree else None, y if y_tree else None, changed, deleted, f"{path}/")
        if y is not None and y.type in _BLOB_TYPES:
            changed.append(path)
        elif x is not None and x.type in _BLOB_TYPES:
            deleted.append(path)
