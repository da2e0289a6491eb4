"""Reading git state: one porcelain git call per listing (see GIT-NOTES.md)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from agenttui.base.stashmsg import stash_branch
from agenttui.core.errors import AgentTuiError, GitError, NotARepository, shown
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git.models import Branch, HeadState, RepoPaths, RepoSnapshot, Stash, Worktree

_SEP = "\x1f"
_REC = "\x1e"


def open_repo(path: str | os.PathLike[str] = ".") -> RepoPaths:
    """Locate the repository that *path* is in (any path inside a checkout)."""
    p = Path(path).expanduser()
    try:
        if not p.exists():
            raise NotARepository(f"{shown(p)}: no such file or directory")
        if not p.is_dir():
            p = p.parent
    except OSError as exc:  # e.g. a name part over 255 bytes: bad input, not an internal error
        raise NotARepository(f"{shown(p)}: {exc.strerror or exc}") from None
    try:
        lines = gitcmd.out(
            p,
            "rev-parse",
            "--path-format=absolute",
            "--git-dir",
            "--git-common-dir",
            "--is-bare-repository",
            "--is-inside-work-tree",
        ).splitlines()
    except GitError as exc:
        if "not a git repository" in exc.stderr:
            raise NotARepository(f"{shown(p.resolve())}: not a git repository") from None
        raise NotARepository(f"{shown(p.resolve())}: {exc.message}") from None
    if len(lines) != 4:  # a path with a newline in it (a folder above the repository): one value a call

        def one(flag: str) -> str:
            return gitcmd.out(p, "rev-parse", "--path-format=absolute", flag).removesuffix("\n")

        lines = [one("--git-dir"), one("--git-common-dir"), lines[-2], lines[-1]]
    git_dir, common_dir, bare, inside = lines[0], lines[1], lines[2], lines[3]
    toplevel: Path | None = None
    if inside == "true":
        toplevel = Path(gitcmd.out(p, "rev-parse", "--show-toplevel").rstrip("\n"))
    elif bare != "true":
        raise NotARepository(f"{shown(p.resolve())}: inside a .git directory; give a path in the checkout")
    return RepoPaths(
        git_dir=Path(git_dir),
        common_dir=Path(common_dir),
        bare=bare == "true",
        toplevel=toplevel,
    )


def ref_format(paths: RepoPaths) -> str:
    """'files' or 'reftable' (git 2.45+ can say so itself; older gits read the config)."""
    _, text, _ = gitcmd.run(paths.common_dir, ["config", "--get", "extensions.refStorage"], check=False)
    return text.strip() or "files"


def operation_in_progress(git_dir: Path) -> str | None:
    """The operation a checkout is in the middle of, from its per-worktree git dir."""
    if (git_dir / "rebase-merge").is_dir() or (git_dir / "rebase-apply").is_dir():
        return "rebase"
    for name, op in (
        ("MERGE_HEAD", "merge"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
        ("BISECT_LOG", "bisect"),
    ):
        if (git_dir / name).exists():
            return op
    return None


def head_state(checkout: str | os.PathLike[str]) -> HeadState:
    """HEAD of the checkout at *checkout*: branch or detached sha, operation in progress."""
    _, text, _ = gitcmd.run(
        checkout,
        ["rev-parse", "--path-format=absolute", "--git-dir", "--symbolic-full-name", "HEAD"],
        check=False,
    )
    lines = text.splitlines()
    if not lines:
        raise NotARepository(f"{checkout}: not a git checkout")
    git_dir = Path(lines[0])
    symbolic = lines[1] if len(lines) > 1 else "HEAD"
    _, sha_text, _ = gitcmd.run(checkout, ["rev-parse", "-q", "--verify", "HEAD"], check=False)
    sha = sha_text.strip() or None
    branch: str | None = None
    detached = False
    if symbolic.startswith("refs/heads/"):
        branch = symbolic.removeprefix("refs/heads/")
    else:  # detached, or an unborn branch rev-parse cannot name: ask symbolic-ref
        status, ref, _ = gitcmd.run(checkout, ["symbolic-ref", "-q", "HEAD"], check=False)
        if status == 0 and ref.strip():
            branch = ref.strip().removeprefix("refs/heads/")
        else:
            detached = True
    return HeadState(
        branch=branch,
        sha=sha,
        detached=detached,
        operation=operation_in_progress(git_dir),
        index_locked=(git_dir / "index.lock").exists(),
    )


def has_commits(paths: RepoPaths) -> bool:
    """True when any branch or HEAD points at a commit."""
    _, text, _ = gitcmd.run(
        paths.common_dir,
        ["for-each-ref", "--count=1", "--format=%(objectname)", "refs/heads"],
        check=False,
    )
    if text.strip():
        return True
    cwd = paths.toplevel or paths.common_dir
    return gitcmd.ok(cwd, "rev-parse", "-q", "--verify", "HEAD^{commit}")


def parse_worktrees(text: str) -> list[Worktree]:
    """Parse ``git worktree list --porcelain -z``."""
    result: list[Worktree] = []
    for record in text.split("\0\0"):
        if not record.strip("\0"):
            continue
        fields: dict[str, str | None] = {}
        for line in record.split("\0"):
            if not line:
                continue
            key, _, value = line.partition(" ")
            fields[key] = value if _ else None
        if "worktree" not in fields:
            continue
        branch = fields.get("branch")
        result.append(
            Worktree(
                path=Path(fields["worktree"] or ""),
                head=fields.get("HEAD") if fields.get("HEAD") != "0" * 40 else None,
                branch=branch.removeprefix("refs/heads/") if branch else None,
                detached="detached" in fields,
                bare="bare" in fields,
                locked="locked" in fields,
                locked_reason=fields.get("locked"),
                prunable="prunable" in fields,
                prunable_reason=fields.get("prunable"),
                is_main=not result,
            )
        )
    return result


def list_worktrees(paths: RepoPaths, *, dirty: bool = False) -> list[Worktree]:
    """All worktrees, main first (one git call; plus one status per worktree with *dirty*)."""
    text = gitcmd.out(paths.common_dir, "worktree", "list", "--porcelain", "-z")
    trees = parse_worktrees(text)
    if trees and not trees[0].bare and _same_dir(trees[0].path, paths.common_dir):
        trees[0] = _real_main(paths, trees[0])
    if dirty:
        from dataclasses import replace

        trees = [replace(w, dirty=dirty_count(w.path) if not w.bare and not w.prunable else None) for w in trees]
    return trees


def _same_dir(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _real_main(paths: RepoPaths, main: Worktree) -> Worktree:
    """A submodule's git dir is absorbed into ``<super>/.git/modules/<name>`` with
    ``core.worktree`` pointing back at the checkout; git 2.39's worktree list then names the git
    dir as the main worktree.  The checkout is where ``core.worktree`` says (else the toplevel
    the user is in), never a folder inside ``.git``."""
    from dataclasses import replace

    _, value, _ = gitcmd.run(paths.common_dir, ["config", "--get", "core.worktree"], check=False)
    value = value.strip()
    if value:
        return replace(main, path=Path(os.path.normpath(paths.common_dir / value)))
    if paths.toplevel is not None and paths.git_dir == paths.common_dir:
        return replace(main, path=paths.toplevel)
    return main


def status_entries(checkout: str | os.PathLike[str], *pathspec: str, origins: bool = False) -> list[tuple[str, str]]:
    """(XY, path) for every changed or untracked file (``status --porcelain -z``, no locks); *origins*:
    a rename's or copy's original path too."""
    args = ["status", "--porcelain=v1", "-z", "--untracked-files=all"]
    if pathspec:
        args += ["--", *pathspec]
    text = gitcmd.out(checkout, *args)
    items = text.split("\0")
    entries: list[tuple[str, str]] = []
    i = 0
    while i < len(items):
        item = items[i]
        i += 1
        if len(item) < 4:
            continue
        xy, path = item[:2], item[3:]
        if xy[0] in "RC":
            if origins and i < len(items):
                entries.append((xy, items[i]))
            i += 1  # the original path follows a rename / copy
        entries.append((xy, path))
    return entries


def dirty_count(checkout: str | os.PathLike[str]) -> int:
    return len(status_entries(checkout))


_BRANCH_FORMAT = (
    _SEP.join(
        [
            "%(refname:lstrip=2)",
            "%(objectname)",
            "%(committerdate:unix)",
            "%(subject)",
            "%(upstream:lstrip=2)",
            "%(upstream:track)",
            "%(worktreepath)",
        ]
    )
    + _REC
)


def list_branches(paths: RepoPaths, *, merged_into: str | None = None) -> list[Branch]:
    """Local branches: one ``for-each-ref`` (plus one ``--merged`` call with *merged_into*)."""
    cwd = paths.common_dir
    text = gitcmd.out(cwd, "for-each-ref", f"--format={_BRANCH_FORMAT}", "refs/heads")
    merged: set[str] | None = None
    if merged_into is not None:
        status, mtext, _ = gitcmd.run(
            cwd,
            ["for-each-ref", "--format=%(refname:lstrip=2)", f"--merged={merged_into}", "refs/heads"],
            check=False,
        )
        merged = set(mtext.splitlines()) if status == 0 else None
    branches: list[Branch] = []
    for record in text.split(_REC + "\n"):
        if not record:
            continue
        parts = record.split(_SEP)
        if len(parts) < 7:
            continue
        name, sha, date, subject, upstream, track, wt = parts[:7]
        branches.append(
            Branch(
                name=name,
                sha=sha,
                date=int(date) if date.isdigit() else 0,
                subject=subject,
                upstream=upstream or None,
                track=track or None,
                worktree=Path(wt) if wt else None,
                merged=(name in merged) if merged is not None else None,
            )
        )
    return branches


_STASH_FORMAT = f"--format={_REC}%gd{_SEP}%H{_SEP}%ct{_SEP}%gs{_SEP}%P"


def list_stashes(paths: RepoPaths, newest: int | None = None) -> list[Stash]:
    """Every stash entry with the number of files it holds — its untracked files (``stash push -u``:
    the third parent) counted too, or a stash holding only new files would say "0 files" and look
    empty: one ``stash list`` call, and one ``diff-tree --stdin`` for all the untracked parts.
    With *newest*, only that many, the newest first (git lists each stash's files: ~0.1 s for
    1,000 stashes, most of `agenttui recover`'s first frame on a big repository)."""
    cwd = paths.toplevel or paths.common_dir
    limit = [f"--max-count={newest}"] if newest is not None else []
    status, text, err = gitcmd.run(cwd, ["stash", "list", _STASH_FORMAT, "--name-only", *limit], check=False)
    if status != 0:
        if "bare" in err or "work tree" in err:
            return _list_stashes_bare(paths, limit)
        raise GitError(["stash", "list"], status, err)
    return _with_untracked(paths, _parse_stashes(text))


def _list_stashes_bare(paths: RepoPaths, limit: list[str]) -> list[Stash]:
    status, text, _ = gitcmd.run(
        paths.common_dir,
        ["log", "-g", "--first-parent", "-m", _STASH_FORMAT, "--name-only", *limit, "refs/stash", "--"],
        check=False,
    )
    return _with_untracked(paths, _parse_stashes(text.replace("refs/stash@", "stash@"))) if status == 0 else []


def _with_untracked(paths: RepoPaths, stashes: list[tuple[Stash, str | None]]) -> list[Stash]:
    thirds = {third for _, third in stashes if third}
    counts: dict[str, int] = {}
    if thirds:  # a root commit each: --root lists every file of it
        _, text, _ = gitcmd.run(
            paths.common_dir,
            ["diff-tree", "--stdin", "-r", "--root", "--name-only", "-z"],
            input="".join(f"{t}\n" for t in sorted(thirds)),
            check=False,
        )
        current = None
        for item in text.split("\0"):
            item = item.strip("\n")
            if item in thirds:
                current = item
                counts[current] = 0
            elif item and current is not None:
                counts[current] += 1
    out = []
    for s, third in stashes:
        n = counts.get(third or "", 0)
        out.append(replace(s, files=s.files + n, untracked=n) if n else s)
    return out


def _parse_stashes(text: str) -> list[tuple[Stash, str | None]]:
    """(stash, its untracked-files commit or None), in list order."""
    stashes: list[tuple[Stash, str | None]] = []
    for record in text.split(_REC):
        if not record.strip():
            continue
        header, _, rest = record.partition("\n")
        parts = header.split(_SEP)
        if len(parts) < 4:
            continue
        ref, sha, date, subject = parts[:4]
        parents = parts[4].split() if len(parts) > 4 else []
        m = re.search(r"\{(\d+)\}", ref)
        files = sum(1 for ln in rest.splitlines() if ln.strip())
        stashes.append(
            (
                Stash(
                    index=int(m.group(1)) if m else len(stashes),
                    sha=sha,
                    date=int(date) if date.isdigit() else 0,
                    branch=stash_branch(subject),
                    message=subject,
                    files=files,
                ),
                parents[2] if len(parents) > 2 else None,
            )
        )
    return stashes


def resolve_commits(paths: RepoPaths, revs: Iterable[str], cwd: Path | None = None) -> dict[str, str | None]:
    """Resolve many revisions to commit shas in one ``cat-file --batch-check`` call."""
    unique = list(dict.fromkeys(revs))
    if not unique:
        return {}
    if any("\n" in r for r in unique):
        raise AgentTuiError("a revision contains a newline")
    where = cwd or paths.toplevel or paths.common_dir
    query = "".join(f"{r}^{{commit}}\n" for r in unique)
    text = gitcmd.out(where, "cat-file", "--batch-check=%(objectname)", input=query)
    result: dict[str, str | None] = {}
    for rev, line in zip(unique, text.splitlines(), strict=False):
        result[rev] = line if re.fullmatch(r"[0-9a-f]{40,64}", line) else None
    return result


def main_checkout(paths: RepoPaths, worktrees: list[Worktree] | None = None) -> Path | None:
    """The main working tree (None for a bare repository)."""
    trees = worktrees if worktrees is not None else list_worktrees(paths)
    if trees and not trees[0].bare:
        return trees[0].path
    return None


def snapshot(
    paths: RepoPaths, *, dirty: bool = True, base: str | None = None, stashes: Iterable[Stash] | None = None
) -> RepoSnapshot:
    worktrees = list_worktrees(paths, dirty=dirty)
    main = main_checkout(paths, worktrees)
    head = head_state(main) if main is not None else None
    if base is None and head is not None and head.sha is not None:
        base = "HEAD"
    branches = list_branches(paths, merged_into=base)
    stashes = list_stashes(paths) if stashes is None else list(stashes)
    return RepoSnapshot(
        paths=paths,
        head=head,
        worktrees=tuple(worktrees),
        branches=tuple(branches),
        stashes=tuple(stashes),
        main_checkout=main,
    )


def ahead_count(worktree: str | os.PathLike[str], base: str) -> int | None:
    """Commits on the worktree's HEAD that *base* does not have (None when git cannot tell)."""
    st, out, _ = gitcmd.run(worktree, ["rev-list", "--count", f"{base}..HEAD", "--"], check=False)
    return int(out.strip()) if st == 0 and out.strip().isdigit() else None


def ahead_behind(paths: RepoPaths, base: str, ref: str) -> tuple[int, int] | None:
    """(ahead, behind) of *ref* against *base*: one ``rev-list --left-right --count``."""
    st, out, _ = gitcmd.run(
        paths.common_dir, ["rev-list", "--left-right", "--count", f"{base}...{ref}", "--"], check=False
    )
    parts = out.split()
    if st != 0 or len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[1]), int(parts[0])


def stash_patch(paths: RepoPaths, sha: str, max_lines: int = 2000) -> str:
    """A stash's stat and patch, untracked files included (cut at *max_lines*)."""
    try:
        text = gitcmd.out(
            paths.toplevel or paths.common_dir, "stash", "show", "--include-untracked", "--stat", "-p", sha
        )
    except AgentTuiError as exc:
        return exc.message
    lines = text.splitlines()
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"... {len(lines) - max_lines} more lines"]
    return "\n".join(lines)
