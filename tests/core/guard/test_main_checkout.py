"""The guard's classification on real repositories: each alert kind from the real git command."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agenttui.core.git import repo as gitrepo
from agenttui.core.guard import main_checkout as g
from agenttui.core.guard.alerts import Alert
from agenttui.core.guard.events import coverage
from tests.support.repos import git, make_repo, wait_for


@pytest.fixture
def armed(tmp_path: Path) -> tuple[Path, g.Guard]:
    r = make_repo(tmp_path / "main repo")
    gd = g.Guard(
        gitrepo.open_repo(r),
        r.resolve(),
        ignore=("*.log", "build/*"),
        plan_branches=frozenset({"agents/a"}),
        plan_worktrees=frozenset({str(tmp_path / "planned")}),
    )
    gd.arm()
    return r, gd


def kinds(alerts: list[g.Alert]) -> list[str]:
    return [a.kind for a in alerts]


def test_branch_switch_commit_reset(armed: tuple[Path, g.Guard]) -> None:
    r, gd = armed
    git(r, "checkout", "-q", "-b", "feature-x")
    a, created = gd.on_git()
    assert created.text == "branch feature-x created outside the plan"
    assert a.kind == "switch" and "branch switched main → feature-x" in a.text
    assert "checkout: moving from main to feature-x" in a.text
    git(r, "commit", "-q", "--allow-empty", "-m", "sneaky commit")
    (a,) = gd.on_git()
    assert a.kind == "commit" and a.text == "commit made on feature-x: sneaky commit"
    git(r, "reset", "-q", "--hard", "HEAD~1")
    (a,) = gd.on_git()
    assert a.kind == "reset" and a.text == "feature-x reset: reset: moving to HEAD~1"
    git(r, "checkout", "-q", "--detach")
    (a,) = gd.on_git()
    assert a.kind == "switch" and "→ detached" in a.text
    assert gd.on_git() == []  # nothing changed, nothing said


def test_merge_and_rebase_started(armed: tuple[Path, g.Guard]) -> None:
    r, gd = armed
    git(r, "checkout", "-q", "-b", "other")
    (r / "file0.txt").write_text("other\n")
    git(r, "commit", "-qam", "other")
    git(r, "checkout", "-q", "main")
    (r / "file0.txt").write_text("mine\n")
    git(r, "commit", "-qam", "mine")
    gd.on_git()
    subprocess.run(["git", "merge", "other"], cwd=r, capture_output=True, check=False)
    assert "operation" in kinds(gd.on_git())
    git(r, "merge", "--abort")
    gd.on_git()
    subprocess.run(["git", "rebase", "other"], cwd=r, capture_output=True, check=False)
    alerts = gd.on_git()
    assert any(a.kind == "operation" and "rebase started" in a.text for a in alerts)


def test_stash_push_and_drop(armed: tuple[Path, g.Guard]) -> None:
    r, gd = armed
    (r / "file0.txt").write_text("wip")
    git(r, "stash", "push", "-q", "-m", "others-work-again")
    alerts = gd.on_git()
    assert [a.text for a in alerts if a.kind == "stash-push"] == ["stash pushed: On main: others-work-again"]
    git(r, "stash", "pop", "-q")
    alerts = gd.on_git()
    assert [a.text for a in alerts if a.kind == "stash-drop"] == ["stash dropped or popped: On main: others-work-again"]


def test_branches_and_worktrees_outside_the_plan(armed: tuple[Path, g.Guard], tmp_path: Path) -> None:
    r, gd = armed
    git(r, "branch", "stray")
    git(r, "branch", "agents/a")  # the plan's own: no alert
    assert [a.text for a in gd.on_git()] == ["branch stray created outside the plan"]
    git(r, "branch", "-D", "stray")
    assert [a.text for a in gd.on_git()] == ["branch stray deleted"]
    git(r, "worktree", "add", "-q", str(tmp_path / "planned"), "agents/a")
    assert gd.on_git() == []
    tmpwt = tmp_path / "self isolated"
    git(r, "worktree", "add", "-q", "-b", "tmp-iso", str(tmpwt))
    alerts = gd.on_git()
    assert "branch-create" in kinds(alerts)
    (wa,) = [a for a in alerts if a.kind == "worktree-add"]
    assert wa.text == f"worktree added that no plan dispatch owns: {tmpwt.resolve()}"


def test_file_bursts_coalesce(armed: tuple[Path, g.Guard]) -> None:
    _, gd = armed
    a1 = gd.on_files(["src/auth/a.py"], now=100.0)
    assert a1 is not None and a1.text == "file changed in the main checkout: src/auth/a.py"
    a2 = gd.on_files([f"src/auth/f{i}.py" for i in range(13)], now=100.4)
    assert a2 is not None and a2.id == a1.id
    assert a2.text == "14 files changed in src/auth in 0.4 s" and len(a2.paths) == 14
    a3 = gd.on_files(["README.md"], now=102.0)
    assert a3 is not None and a3.id != a1.id


def test_relevant_file_filters(armed: tuple[Path, g.Guard], tmp_path: Path) -> None:
    r, gd = armed
    main = str(r.resolve())
    nested = r / ".claude" / "worktrees" / "sub"
    git(r, "worktree", "add", "-q", "-b", "claude/sub", str(nested))
    gd.refresh_nested()
    assert gd.relevant_file(f"{main}/src/x.py") == "src/x.py"
    assert gd.relevant_file(f"{main}/.git/index") is None
    assert gd.relevant_file(f"{main}/.claude/worktrees/sub/file.py") is None
    assert gd.relevant_file(f"{main}/debug.log") is None
    assert gd.relevant_file(f"{main}/build/out.o") is None
    assert gd.git_path_matters(f"{main}/.git/refs/heads/x")
    assert gd.git_path_matters(f"{main}/.git/HEAD")
    assert not gd.git_path_matters(f"{main}/.git/objects/ab/cdef")
    assert not gd.git_path_matters(f"{main}/.git/worktrees/sub/index")
    assert gd.git_path_matters(f"{main}/.git/worktrees/new")
    assert not gd.git_path_matters(f"{main}/.git/agenttui/journal.jsonl")


def test_index_lock_held_too_long(armed: tuple[Path, g.Guard]) -> None:
    _, gd = armed
    assert gd.check_lock(True, now=10.0) is None
    assert gd.check_lock(True, now=11.0) is None
    a = gd.check_lock(True, now=13.5)
    assert a is not None and a.text == "index.lock held in the main checkout for 4 s"
    assert gd.check_lock(True, now=20.0) is None  # said once
    assert gd.check_lock(False, now=21.0) is None


def test_reconcile_finds_missed_files(armed: tuple[Path, g.Guard]) -> None:
    r, gd = armed
    (r / "new dir").mkdir()
    (r / "new dir" / "missed.py").write_text("x")
    (r / "seen.py").write_text("x")
    gd.on_files(["seen.py"])
    a = gd.reconcile()
    assert a is not None and a.paths == ("new dir/missed.py",)
    assert gd.reconcile() is None


def test_disarmed_guard_says_nothing(armed: tuple[Path, g.Guard]) -> None:
    r, gd = armed
    gd.disarm()
    git(r, "branch", "quiet")
    assert gd.on_git() == [] and gd.on_files(["x"]) is None


def test_suspects_mark_agents(armed: tuple[Path, g.Guard]) -> None:
    r, gd = armed
    parent = subprocess.Popen(["sh", "-c", "sleep 30 & wait"], cwd=r)
    try:

        def child() -> int | None:
            import psutil

            kids = [k for k in psutil.Process(parent.pid).children() if k.name() == "sleep"]
            return kids[0].pid if kids else None  # (forked but not yet exec'd: still named sh)

        from tests.support.repos import wait_for

        kid = wait_for(child, 5, "child process")
        alert = gd.suspects(g.new_alert("files", "x"), {parent.pid: "auth"})
        assert "auth" in alert.agents and kid in alert.suspect_pids
        assert any(f"agent 'auth' (pid {kid}, sleep) has its cwd in the main checkout" == s for s in alert.suspects)
    finally:
        parent.kill()
        parent.wait()
        subprocess.run(["pkill", "-f", "sleep 30 & wait"], check=False)


def test_watch_coverage_reports_degraded(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    for i in range(30):
        (root / "node_modules" / f"p{i}").mkdir(parents=True)
    (root / "src").mkdir()
    ok = coverage([root], limit=1000)
    assert ok.dirs == 33 and not ok.degraded and ok.describe() == "33 directories watched"
    bad = coverage([root], limit=10)
    assert bad.degraded and "max_user_watches is 10" in bad.describe()
    assert bad.heaviest[0] == ("tree/node_modules", 31)


def test_a_stash_from_an_agents_worktree_dropped_names_its_owner(tmp_path: Path) -> None:
    """refs/stash is shared by every worktree: a stash made on an agent's branch that goes is
    alerted with that agent named (from the stash's branch); control: a stash of no agent's branch."""
    r = make_repo(tmp_path / "repo")
    wts = r / ".claude" / "worktrees"  # Claude Code's layout: inside the main checkout
    git(r, "worktree", "add", "-q", "-b", "agents/alice", str(wts / "alice"))
    (wts / "alice" / "file0.txt").write_text("alice's half-done work\n")
    git(wts / "alice", "stash", "push", "-q", "-m", "alice-work")
    (r / "file1.txt").write_text("the user's own\n")
    git(r, "stash", "push", "-q", "-m", "mine")
    gd = g.Guard(gitrepo.open_repo(r), r.resolve(), ignore=(".claude/*",))
    gd.branch_owners = {"agents/alice": "alice"}
    gd.arm()
    try:
        git(r, "stash", "drop", "-q", "stash@{0}")  # the user's: no agent named
        (mine,) = [a for a in gd.on_git() if a.kind.startswith("stash")]
        assert mine.kind == "stash-drop" and mine.agents == () and "agent" not in mine.text
        git(wts / "alice", "stash", "drop", "-q", "stash@{0}")
        (theirs,) = [a for a in gd.on_git() if a.kind.startswith("stash")]
        assert theirs.agents == ("alice",) and "alice-work" in theirs.text
        assert "made in agent 'alice''s worktree (branch agents/alice)" in theirs.text
    finally:
        gd.disarm()


def test_a_script_run_from_an_agents_worktree_that_stashes_the_checkout_is_caught(tmp_path: Path) -> None:
    """No tool-call hook can read what ``sh tidy.sh`` does; the guard sees the git process working on
    the main checkout, its shell in an agent's worktree: revoked, marked, the agent's shell refused.
    Control: the same script run by the user from the main checkout is nobody's escape."""
    from agenttui.core.guard import escapes
    from tests.hooks.test_toolguard import call

    r = make_repo(tmp_path / "repo")
    wt = r / ".claude" / "worktrees" / "agent-a1"
    git(r, "worktree", "add", "-q", "-b", "worktree-agent-a1", str(wt))
    script = f"cd {r} && git stash push -u -q -m tidy && echo tidied\n"
    (wt / "tidy.sh").write_text(script)
    (tmp_path / "tidy.sh").write_text(script)
    gd = g.Guard(gitrepo.open_repo(r), r.resolve(), ignore=(".claude/*",))
    caught: list[Alert] = []
    gd.on_escape = caught.append
    gd.arm()
    paths = gitrepo.open_repo(r)
    try:
        assert call(wt, "Bash", {"command": "ls"}).startswith("allow")  # before: its shell works
        (r / "file0.txt").write_text("the user's work in progress\n")
        subprocess.run(["sh", "tidy.sh"], cwd=tmp_path, check=True, capture_output=True)  # the user's own
        assert git(r, "stash", "list").count("tidy") == 1
        (r / "file1.txt").write_text("more of the user's work\n")
        assert caught == [] and escapes.active(paths) == []  # control: no agent involved
        subprocess.run(["sh", "-c", "sh tidy.sh"], cwd=wt, check=True, capture_output=True)  # the agent's
        assert git(r, "stash", "list").count("tidy") == 2  # (it really stashed the checkout)
        wait_for(lambda: caught, what="the escape")
    finally:
        gd.disarm()
    (alert,) = caught
    assert alert.kind == "escape" and alert.agents == ("agent-a1",)
    assert "from its worktree" in alert.text and "git stash push -u -q -m tidy" in alert.text
    assert [m["agent"] for m in escapes.active(paths)] == ["agent-a1"]
    refused = call(wt, "Bash", {"command": "ls"})
    assert refused.startswith("deny") and "lost its shell" in refused and "git stash push" in refused
    assert call(wt, "Write", {"file_path": f"{wt}/ok.txt", "content": "x"}) == "allow"  # work inside goes on
    assert escapes.clear(paths) == ["agent-a1"]
    assert call(wt, "Bash", {"command": "ls"}) == "allow"


def test_an_agent_popping_another_agents_stash_is_alerted_with_both_names(tmp_path: Path) -> None:
    """The stash reflog says whose branch a stash was made on; the git process caught as it drops it
    says who took it.  Control: alice popping her own stash names her alone."""
    r = make_repo(tmp_path / "repo")
    wts = r / ".claude" / "worktrees"
    for name in ("alice", "bob"):
        git(r, "worktree", "add", "-q", "-b", f"agents/{name}", str(wts / name))
    for i in range(2):
        (wts / "alice" / "file0.txt").write_text(f"alice's work {i}\n")
        git(wts / "alice", "stash", "push", "-q", "-m", f"alice-{i}")
    gd = g.Guard(gitrepo.open_repo(r), r.resolve(), ignore=(".claude/*",))
    gd.branch_owners = {"agents/alice": "alice", "agents/bob": "bob"}
    gd.arm()
    try:
        subprocess.run(
            ["sh", "-c", "git stash pop -q && echo popped"], cwd=wts / "alice", check=True, capture_output=True
        )
        (own,) = [a for a in gd.on_git() if a.kind == "stash-drop"]
        assert own.agents == ("alice",) and "taken by" not in own.text
        subprocess.run(
            ["sh", "-c", "git stash pop -q && echo popped"], cwd=wts / "bob", check=True, capture_output=True
        )
        (taken,) = [a for a in gd.on_git() if a.kind == "stash-drop"]
    finally:
        gd.disarm()
    assert taken.agents == ("alice", "bob") and "alice-0" in taken.text
    assert "taken by agent 'bob' in its worktree" in taken.text and "git stash pop -q" in taken.text
