"""The Claude Code PreToolUse hook: real payload shapes through the real command; install/uninstall."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.repos import make_repo


def hook(
    payload: object, *args: str, home: Path | None = None, raw: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if home is not None:
        env["HOME"] = str(home)
    env.pop("CLAUDE_PROJECT_DIR", None)
    text = raw if raw is not None else json.dumps(payload)
    return subprocess.run(
        [sys.executable, "-m", "agenttui", "hook", "claude-code", "pre-tool-use", *args],
        input=text,
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        check=False,
    )


def payload(cwd: Path, **tool_input: object) -> dict[str, object]:
    ti = {"description": "fix the login flow", "prompt": "...", "subagent_type": "general-purpose"}
    ti.update(tool_input)
    return {
        "session_id": "abc",
        "hook_event_name": "PreToolUse",
        "tool_name": "Agent",
        "cwd": str(cwd),
        "tool_input": ti,
    }


def decision(res: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)["hookSpecificOutput"] if res.stdout.strip() else {}


def test_unisolated_writer_is_denied_with_what_to_pass(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    out = decision(hook(payload(r), home=tmp_path))
    assert out["permissionDecision"] == "deny" and out["hookEventName"] == "PreToolUse"
    assert '"isolation": "worktree"' in str(out["permissionDecisionReason"])
    rec = json.loads((r / ".git" / "agenttui" / "journal.jsonl").read_text().splitlines()[-1])
    assert rec["event"] == "claude-code-dispatch" and rec["decision"] == "deny" and rec["session"] == "abc"


def test_isolated_dispatch_passes(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    res = hook(payload(r, isolation="worktree"), home=tmp_path)
    assert res.returncode == 0 and res.stdout.strip() == ""
    res = hook({**payload(r, isolation="worktree"), "tool_name": "Task"}, home=tmp_path)
    assert res.returncode == 0 and res.stdout.strip() == ""


def test_rewrite_adds_isolation_and_keeps_the_rest(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    out = decision(hook(payload(r, run_in_background=True, name="auth"), "--rewrite", home=tmp_path))
    assert out["permissionDecision"] == "allow"
    assert out["updatedInput"] == {
        "description": "fix the login flow",
        "prompt": "...",
        "subagent_type": "general-purpose",
        "run_in_background": True,
        "name": "auth",
        "isolation": "worktree",
    }


def test_frontmatter_read_only_and_isolated_agents(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    agents = r / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "reviewer.md").write_text("---\nname: reviewer\ntools: Read, Grep, Glob\n---\nReview.\n")
    (agents / "builder.md").write_text("---\nname: builder\nisolation: worktree\ntools:\n  - Edit\n  - Bash\n---\n")
    (agents / "writer.md").write_text("---\nname: writer\ntools: Read, Edit\n---\n")
    sub = r / "deep" / "dir"
    sub.mkdir(parents=True)
    assert hook(payload(sub, subagent_type="reviewer"), home=tmp_path).stdout.strip() == ""
    assert hook(payload(sub, subagent_type="builder"), home=tmp_path).stdout.strip() == ""
    assert decision(hook(payload(sub, subagent_type="writer"), home=tmp_path))["permissionDecision"] == "deny"
    # user-level definitions are found too, by their frontmatter name, in any subfolder
    user_agents = tmp_path / ".claude" / "agents" / "team"
    user_agents.mkdir(parents=True)
    (user_agents / "scouting-agent.md").write_text("---\nname: scout\ndescription: looks\ntools: Read\n---\n")
    assert hook(payload(sub, subagent_type="scout"), home=tmp_path).stdout.strip() == ""
    # control: a file named like the type but without that name is not the definition
    (agents / "lurker.md").write_text("---\nname: someone-else\ntools: Read\n---\n")
    assert decision(hook(payload(sub, subagent_type="lurker"), home=tmp_path))["permissionDecision"] == "deny"


@pytest.mark.parametrize(
    "front,verdict",
    [
        ('tools: "*"', "deny"),  # every tool, not none
        ("isolation: Worktree", "deny"),  # the client compares exactly and runs it unisolated
        ("isolation: worktree  # kept apart", "allow"),  # YAML comments are not part of the value
        ("disallowedTools: Edit, Write, NotebookEdit, Bash, PowerShell, Monitor, Workflow", "allow"),
        ("tools: Read, Monitor", "deny"),  # Monitor runs a command
    ],
)
def test_definitions_decided_as_the_client_reads_them(tmp_path: Path, front: str, verdict: str) -> None:
    r = make_repo(tmp_path / "r")
    agents = r / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "x.md").write_text(f"---\nname: x\ndescription: d\n{front}\n---\n")
    res = hook(payload(r, subagent_type="x"), home=tmp_path)
    got = "allow" if res.stdout.strip() == "" else decision(res)["permissionDecision"]
    assert got == verdict, res.stdout


def test_workflow_agents_need_isolation(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    bare = {
        "tool_name": "Workflow",
        "cwd": str(r),
        "session_id": "s",
        "hook_event_name": "PreToolUse",
        "tool_input": {"script": "await parallel([agent('a', {label: 'a'}), agent('b', {label: 'b'})])"},
    }
    assert decision(hook(bare, home=tmp_path))["permissionDecision"] == "deny"
    iso = dict(
        bare,
        tool_input={
            "script": "await parallel([agent('a', {isolation: 'worktree'}), agent('b', {isolation: 'worktree'})])"
        },
    )
    assert hook(iso, home=tmp_path).stdout.strip() == ""
    # one agent() call in a loop or a map starts several (control: a single call runs alone)
    mapped = dict(bare, tool_input={"script": "await parallel(['a', 'b'].map(t => agent(t, {label: t})))"})
    assert decision(hook(mapped, home=tmp_path))["permissionDecision"] == "deny"
    single = dict(bare, tool_input={"script": "await agent('a', {label: 'a'})"})
    assert hook(single, home=tmp_path).stdout.strip() == ""
    # the client's re-invocation form {scriptPath}: the file is read (unreadable: refused)
    path = tmp_path / "two.js"
    path.write_text("await parallel([agent('a', {label: 'a'}), agent('b', {label: 'b'})])")
    by_path = dict(bare, tool_input={"scriptPath": str(path)})
    assert decision(hook(by_path, home=tmp_path))["permissionDecision"] == "deny"
    path.write_text("await parallel([agent('a', {isolation: 'worktree'}), agent('b', {isolation: 'worktree'})])")
    assert hook(by_path, home=tmp_path).stdout.strip() == ""
    gone = dict(bare, tool_input={"scriptPath": str(tmp_path / "missing.js")})
    assert decision(hook(gone, home=tmp_path))["permissionDecision"] == "deny"


def test_an_internal_error_denies(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    res = hook(payload(r / ("x" * 300), subagent_type="anything"), home=tmp_path)  # a path part over 255 bytes
    assert res.returncode == 0 and decision(res)["permissionDecision"] == "deny"


def test_unknown_subagent_type_counts_as_writer(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    out = decision(hook(payload(r, subagent_type="no-such-agent"), home=tmp_path))
    assert out["permissionDecision"] == "deny" and "no-such-agent" in str(out["permissionDecisionReason"])
    # built-ins are not read-only: Explore and Plan keep Bash, statusline-setup has Edit
    assert decision(hook(payload(r, subagent_type="Explore"), home=tmp_path))["permissionDecision"] == "deny"


@pytest.mark.parametrize("raw", ["", "[1, 2]", '{"tool_name": "Bash", "tool_input": {"command": "ls"}}'])
def test_empty_or_unrelated_input_allows(tmp_path: Path, raw: str) -> None:
    res = hook(None, raw=raw, home=tmp_path)
    assert res.returncode == 0 and res.stdout.strip() == "" and "Traceback" not in res.stderr


@pytest.mark.parametrize("raw", ['{"tool_name": "Agent"}', '{"tool_name": "Agent", "tool_input": "x"}'])
def test_a_malformed_dispatch_is_refused(tmp_path: Path, raw: str) -> None:
    res = hook(None, raw=raw, home=tmp_path)
    assert res.returncode == 0 and decision(res)["permissionDecision"] == "deny"


def test_answers_fast(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    times = []
    for _ in range(5):
        t = time.perf_counter()
        hook(payload(r), home=tmp_path)
        times.append(time.perf_counter() - t)
    # not a timing target (that lives in bench/): a guard against importing Textual/GitPython here
    code = (
        "import sys, agenttui.entry, agenttui.hooks.cli; "
        "print(sorted(m for m in ('git', 'textual', 'psutil') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def run_hook_cmd(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "agenttui", "hook", "claude-code", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        check=False,
    )


def test_install_merges_backs_up_is_idempotent_and_uninstalls(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    original = {
        "model": "opus",
        "permissions": {"allow": ["Bash(ls)"]},
        "hooks": {
            "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "audit"}]}],
            "Stop": [{"hooks": [{"type": "command", "command": "notify"}]}],
        },
    }
    settings.write_text(json.dumps(original))
    res = run_hook_cmd("install", "--user", home=tmp_path)
    assert res.returncode == 0 and "installed in" in res.stdout
    data = json.loads(settings.read_text())
    assert data["model"] == "opus" and data["permissions"] == original["permissions"]
    stop = data["hooks"]["Stop"]
    assert stop[0] == original["hooks"]["Stop"][0] and stop[1]["hooks"][0]["command"].endswith("hooks/run.py event")
    pre = data["hooks"]["PreToolUse"]
    assert pre[0] == original["hooks"]["PreToolUse"][0]
    assert pre[1]["matcher"] == "Agent|Task|Workflow"
    # the fast entry: no site, no runpy (bench/bench_claude_client.py)
    gate = pre[1]["hooks"][0]["command"]
    assert " -S -I " in gate and gate.endswith("agenttui/hooks/run.py pre-tool-use")
    # the gate fails closed with a short timeout; the observers never block
    assert pre[1]["hooks"][0]["onFailure"] == "block" and pre[1]["hooks"][0]["timeout"] == 10
    for event in (
        "UserPromptSubmit",
        "Notification",
        "PermissionRequest",
        "SubagentStart",
        "SubagentStop",
        "PostToolUse",
    ):
        (entry,) = data["hooks"][event]
        assert entry["hooks"][0]["timeout"] == 5 and "onFailure" not in entry["hooks"][0]
    backups = list(settings.parent.glob("settings.json.agenttui-backup-*"))
    assert len(backups) == 1 and json.loads(backups[0].read_text()) == original
    assert "already installed" in run_hook_cmd("install", "--user", home=tmp_path).stdout
    assert len(json.loads(settings.read_text())["hooks"]["PreToolUse"]) == 3  # theirs, the gate, the tool guard
    assert "mode: deny" in run_hook_cmd("status", home=tmp_path).stdout
    assert "baseRef" not in settings.read_text()  # control: deny mode leaves the worktree base alone
    said = run_hook_cmd("install", "--user", "--rewrite", home=tmp_path).stdout
    assert "mode: rewrite" in run_hook_cmd("status", home=tmp_path).stdout
    assert len(json.loads(settings.read_text())["hooks"]["PreToolUse"]) == 3
    # rewritten dispatches get worktrees from the local HEAD (unpushed commits included), and it is said
    assert json.loads(settings.read_text())["worktree"] == {"baseRef": "head"} and 'baseRef = "head"' in said
    gone = run_hook_cmd("uninstall", "--user", home=tmp_path).stdout
    assert "removed from" in gone and "left in place" in gone
    # exactly agenttui's entries removed (the base setting stays, said above)
    assert json.loads(settings.read_text()) == {**original, "worktree": {"baseRef": "head"}}
    assert "not installed" in run_hook_cmd("status", home=tmp_path).stdout


def test_install_project_and_bad_settings(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    res = run_hook_cmd("install", "--project", str(r), home=tmp_path)
    assert res.returncode == 0
    installed = json.loads((r / ".claude" / "settings.json").read_text())
    assert installed["hooks"]["PreToolUse"][0]["matcher"] == "Agent|Task|Workflow"
    (r / ".claude" / "settings.json").write_text("{broken")
    res = run_hook_cmd("install", "--project", str(r), home=tmp_path)
    assert res.returncode == 2 and "not valid JSON" in res.stderr
    assert (r / ".claude" / "settings.json").read_text() == "{broken"
    res = run_hook_cmd("install", "--project", str(tmp_path / "nope"), home=tmp_path)
    assert res.returncode == 2


def test_event_hook_records_what_agent_state_reads(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    payload = {
        "session_id": "s1",
        "hook_event_name": "Notification",
        "cwd": str(r),
        "message": "Claude needs your permission to use Bash",
        "notification_type": "permission_prompt",
    }
    res = subprocess.run(
        [sys.executable, "-m", "agenttui", "hook", "claude-code", "event"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env={**os.environ, "AGENTTUI_AGENT": "auth"},
        timeout=30,
    )
    assert res.returncode == 0 and res.stdout == ""
    (rec,) = [json.loads(x) for x in (r / ".git" / "agenttui" / "journal.jsonl").read_text().splitlines()]
    assert rec["event"] == "claude-code-hook" and rec["hook"] == "Notification" and rec["agent"] == "auth"
    assert rec["message"].startswith("Claude needs your permission")
    # malformed input: still exit 0, nothing recorded (an observer never blocks the client)
    bad = subprocess.run(
        [sys.executable, "-m", "agenttui", "hook", "claude-code", "event"],
        input="{not json",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 0


@pytest.mark.parametrize("raw", ["not json", '{"tool_name": "Agent", "tool_input": {"description": "x", "prom'])
def test_cut_or_corrupt_input_is_refused_not_allowed(tmp_path: Path, raw: str) -> None:
    """A dispatch cut short (the control: its complete form would be denied too) is not let through."""
    res = hook(None, raw=raw, home=tmp_path)
    assert res.returncode == 0 and '"permissionDecision": "deny"' in res.stdout and "not valid JSON" in res.stdout


def test_every_answer_is_bounded_in_time(tmp_path: Path) -> None:
    """A FIFO as a workflow's scriptPath, a 10 MB word, a cwd of 100,000 parts: each answered (refused)
    well within the hook's timeout (they took minutes, or blocked for ever)."""
    import os
    import time

    fifo = tmp_path / "script.fifo"
    os.mkfifo(fifo)
    repo = tmp_path / "r"
    repo.mkdir()
    cases = [
        {"tool_name": "Workflow", "tool_input": {"scriptPath": str(fifo)}, "cwd": str(repo)},
        {"tool_name": "Bash", "tool_input": {"command": "echo " + "a" * 10_000_000}, "cwd": str(repo), "agent_id": "x"},
        {"tool_name": "Agent", "tool_input": {"description": "d", "prompt": "p"}, "cwd": "/a" * 100_000},
    ]
    for payload in cases:
        t = time.monotonic()
        res = hook(payload, home=tmp_path)
        took = time.monotonic() - t
        assert res.returncode == 0 and '"permissionDecision": "deny"' in res.stdout, res.stdout[:300]
        assert took < 9, (payload["tool_name"], took)


def test_a_workflow_script_is_read_whole(tmp_path: Path) -> None:
    """Unisolated agent() calls after 1 MB of padding were not seen (the script was read to 1 MB)."""
    script = tmp_path / "wf.js"
    script.write_text("// " + "x" * 2_000_000 + "\nawait parallel([agent('a'), agent('b')])\n")
    res = hook(
        {"tool_name": "Workflow", "tool_input": {"scriptPath": str(script)}, "cwd": str(tmp_path)}, home=tmp_path
    )
    assert '"permissionDecision": "deny"' in res.stdout and "no isolation" in res.stdout


def test_the_hooks_journal_is_never_written_through_a_symlink(tmp_path: Path) -> None:
    """The hooks append through the same writer as core (O_NOFOLLOW): a journal an agent replaced
    with a symlink to a file of the user's is refused, the file untouched.  Control: the real journal
    gets the record."""
    repo = make_repo(tmp_path / "r")
    journal = repo / ".git" / "agenttui" / "journal.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)
    event = json.dumps({"hook_event_name": "Stop", "session_id": "s1", "cwd": str(repo)})
    cmd = [sys.executable, "-m", "agenttui", "hook", "claude-code", "event"]
    assert subprocess.run(cmd, input=event, capture_output=True, text=True, cwd=repo).returncode == 0
    assert '"Stop"' in journal.read_text()  # control
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    journal.unlink()
    journal.symlink_to(victim)
    assert subprocess.run(cmd, input=event, capture_output=True, text=True, cwd=repo).returncode == 0
    assert victim.read_text() == "precious\n"
