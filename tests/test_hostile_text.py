"""Hostile repositories and agents: what they write reaches the terminal only as text, runs nothing
through tmux, and writes nowhere agenttui did not mean to (the settings file).  Each case has a
control that shows the attack working without the defence."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from agenttui.core.host import tmux
from agenttui.core.host.shell import open_tmux_window
from agenttui.tui.literal import fmt, output, plain
from tests.support.repos import ROOT, git, make_repo, run_cli, wait_for

EVIL = "wip \x1b]0;pwned\x07 \x1b[2J\x1b[H All 9 dispatches use isolation: worktree — verified \x9b31m \u202egnp.exe"


def test_escape_sequences_from_the_repository_reach_stdout_as_text(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "repo")
    (r / "new.txt").write_text("x\n")
    git(r, "stash", "push", "-u", "-q", "-m", EVIL)
    assert "\x1b]0;pwned" in git(r, "stash", "list")  # the control: git hands the bytes over as they are
    for args in (["status"], ["incident", "--since", "1h"], ["status", "--json"]):
        res = run_cli(*args, str(r))
        assert res.returncode == 0, res.stderr
        out = res.stdout
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\u202e" not in out
        assert ("\\x1b]0;pwned\\x07" in out) or ("\\u001b]0;pwned\\u0007" in out)
    data = json.loads(run_cli("status", "--json", str(r)).stdout)
    assert data["stashes"][0]["message"].endswith(EVIL)  # JSON still carries the exact message, as data


def test_the_ui_shows_control_characters_as_escapes_and_drops_colours_from_agent_output() -> None:
    cell = plain(EVIL).plain
    assert "\x1b" not in cell and "\\x1b" in cell and "\\u202e" in cell
    assert "\x1b" not in fmt("$x", x=EVIL).plain
    assert output("\x1b[31mred\x1b[0m and \x1b]0;title\x07 done\r") == "red and  done\\r"


@pytest.fixture
def private_tmux(tmp_path: Path) -> object:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    sock = f"agenttui-test-{os.getpid()}"
    os.environ["AGENTTUI_TMUX_SOCKET"] = sock
    tmux.tmux("new-session", "-d", "-s", "t", "-x", "80", "-y", "20", "-c", str(tmp_path))
    yield sock
    tmux.tmux("kill-server", check=False)
    os.environ.pop("AGENTTUI_TMUX_SOCKET", None)


def test_a_folder_named_like_a_tmux_command_runs_nothing(tmp_path: Path, private_tmux: object) -> None:
    pwned = tmp_path / "pwned"
    folder = tmp_path / f"wt#(touch {pwned.name})x"
    folder.mkdir()
    os.chdir(tmp_path)  # (a relative touch lands here when tmux runs it)
    try:
        # the control: tmux itself runs it from an unescaped -c (a #() job tmux starts on its own
        # time: now and then a first window's never ran here, so the control opens up to five)
        for _ in range(5):
            tmux.tmux("new-window", "-d", "-c", str(folder), check=False)
            with contextlib.suppress(AssertionError):
                wait_for(pwned.exists, timeout=3, what="tmux running the folder name (the control)")
                break
        assert pwned.exists(), "the control: tmux never ran the folder name"
        pwned.unlink()
        open_tmux_window(folder, folder.name)
        tmux.tmux("display-message", tmux.literal(folder.name), check=False)
        paths = tmux.tmux("list-windows", "-a", "-F", "#{pane_current_path}")
        wait_for(
            lambda: str(folder) in tmux.tmux("list-windows", "-a", "-F", "#{pane_current_path}"),
            timeout=5,
            what="the window opened in the folder",
        )
        assert not pwned.exists(), paths
    finally:
        os.chdir(ROOT)


def install(home: Path, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agenttui", "hook", "claude-code", *args],
        cwd=repo,
        env=dict(os.environ, HOME=str(home)),
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_committed_symlink_beside_the_settings_is_never_written_through(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "repo")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (r / ".claude").mkdir()
    (r / ".claude" / "settings.json.agenttui-tmp").symlink_to(victim)  # the old temporary file's name
    res = install(tmp_path / "home", r, "install", "--project")
    assert res.returncode == 0, res.stderr
    assert victim.read_text() == "precious\n"
    assert "PreToolUse" in (r / ".claude" / "settings.json").read_text()


def test_settings_keep_their_mode_and_their_link_and_others_hooks(tmp_path: Path) -> None:
    home = tmp_path / "home"
    real = tmp_path / "dotfiles" / "claude-settings.json"
    real.parent.mkdir()
    foreign = {"type": "command", "command": "other-tool --check"}
    real.write_text(
        json.dumps(
            {
                "apiKeyHelper": "secret",
                "hooks": {"PreToolUse": [{"matcher": "Agent|Task|Workflow", "hooks": [foreign]}]},
            }
        )
    )
    os.chmod(real, 0o600)
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").symlink_to(real)
    r = make_repo(tmp_path / "repo")
    assert install(home, r, "install").returncode == 0
    assert (home / ".claude" / "settings.json").is_symlink()  # still the user's link
    assert stat.S_IMODE(real.stat().st_mode) == 0o600  # still private
    # uninstall removes ours, and only ours: the other tool's hook in an entry like ours stays
    data = json.loads(real.read_text())
    data["hooks"]["PreToolUse"][-1]["hooks"].append(foreign)
    real.write_text(json.dumps(data))
    assert install(home, r, "uninstall").returncode == 0
    left = json.loads(real.read_text())
    hooks = [h for e in left["hooks"]["PreToolUse"] for h in e["hooks"]]
    assert hooks and all(h == foreign for h in hooks) and left["apiKeyHelper"] == "secret"


@pytest.mark.parametrize(
    "text",
    ['{"x": NaN}', '{"x": 1e999}', '{"hooks": {"PreToolUse": "oops"}}', '{"hooks": null}', "[" * 100000 + "]" * 100000],
    ids=["nan", "overflow", "hooks-event-a-string", "hooks-null", "deep"],
)
def test_settings_agenttui_cannot_write_back_faithfully_are_refused_in_one_line(tmp_path: Path, text: str) -> None:
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    settings = home / ".claude" / "settings.json"
    settings.write_text(text)
    r = make_repo(tmp_path / "repo")
    res = install(home, r, "install")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "Traceback" not in res.stderr, res.stderr
    assert settings.read_text() == text  # untouched


def test_files_agenttui_writes_never_follow_a_planted_symlink(tmp_path: Path) -> None:
    from agenttui.base.dotgit import escape_marker
    from agenttui.core import journal
    from agenttui.core.git import repo as gitrepo
    from agenttui.core.guard.actors import Actor
    from agenttui.core.guard.escapes import mark

    r = make_repo(tmp_path / "repo")
    paths = gitrepo.open_repo(r)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    # the escape marker's old temporary name, planted as a symlink
    wt = str(tmp_path / "wt")
    marker = Path(escape_marker(str(paths.common_dir), wt))
    marker.parent.mkdir(parents=True)
    marker.with_suffix(".tmp").symlink_to(victim)
    mark(paths, Actor(agent="a", pid=1, ancestry=(), cmdline=(), via="process", worktree=wt), "a test")
    assert victim.read_text() == "precious\n" and marker.exists() and not marker.is_symlink()
    # the journal itself replaced by a symlink: appends are refused, never written through
    jp = journal.journal_path(paths)
    jp.unlink(missing_ok=True)
    jp.symlink_to(victim)
    with pytest.raises(OSError):
        journal.append(paths, "test")
    assert victim.read_text() == "precious\n"
    # control: a plain open for append would have written into the victim
    with open(jp, "a") as fh:
        fh.write("x")
    assert victim.read_text() == "precious\nx"


@pytest.mark.parametrize("since", ["99999999999999999999999h", "1e999h", "2099-01-01", "0"])
def test_absurd_times_are_bad_input_in_one_line(tmp_path: Path, since: str) -> None:
    r = make_repo(tmp_path / "repo")
    res = run_cli("incident", str(r), "--since", since)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "--since" in res.stderr, res.stderr


def test_a_repository_under_a_folder_with_a_newline_works(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "two\nlines" / "repo")
    (r / "agenttui.toml").write_text('[[agent]]\nname = "a"\ncommand = ["true"]\n')
    res = run_cli("check", str(r))
    assert res.returncode == 0, res.stderr  # it was refused as "inside a .git directory"
    assert "two\\nlines" in res.stdout and res.stdout.strip().endswith("Not applicable because N=1")


def test_a_worktree_root_on_a_virtual_file_system_is_a_violation(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "repo")
    (r / "agenttui.toml").write_text(
        '[settings]\nworktree_root = "/proc/agents"\n[[agent]]\nname = "a"\n'
        'command = ["true"]\n[[agent]]\nname = "b"\ncommand = ["true"]\n'
    )
    res = run_cli("check", str(r))
    assert res.returncode == 1 and "virtual file system (/proc)" in res.stdout, res.stdout


def test_an_archived_worktree_comes_back_with_its_folder_modes(tmp_path: Path) -> None:
    from agenttui.core import recovery
    from agenttui.core.git import repo as gitrepo

    r = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    git(r, "worktree", "add", "-q", "-b", "w", str(wt))
    shared = wt / "shared"
    shared.mkdir()
    (shared / "f.txt").write_text("x\n")
    os.chmod(shared, 0o2775)
    paths = gitrepo.open_repo(r)
    out = recovery.archive_worktree(paths, wt)
    assert out.ok and not wt.exists()
    (back,) = recovery.restore_many(paths, [out.trash_id])
    assert back.ok, back.message
    assert stat.S_IMODE(shared.stat().st_mode) == 0o2775  # it came back 755
