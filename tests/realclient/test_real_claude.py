"""The gate against the real Claude Code client (`@anthropic-ai/claude-code`, pinned in .ci/run).

The client runs `claude -p` against the local mock API (tests/realclient/mock_api.py) inside a
network namespace of its own when the machine allows one (`unshare -n`), so nothing leaves the
machine. The mock's subagents write a file in their working directory: where it lands shows what the
client really did with each dispatch, and the control run without agenttui's hook shows the
incident the gate prevents (an unisolated subagent writing into the main checkout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.repos import git, make_repo

ROOT = Path(__file__).resolve().parents[2]


def find_claude() -> str | None:
    pinned = ROOT / ".ci" / "claude" / "node_modules" / ".bin" / "claude"
    for candidate in (os.environ.get("AGENTTUI_CLAUDE"), str(pinned), shutil.which("claude")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


CLAUDE = find_claude()
if CLAUDE is None and os.environ.get("CI"):
    raise RuntimeError("the real Claude Code client is missing: .ci/run installs it with npm")
pytestmark = pytest.mark.skipif(
    CLAUDE is None,
    reason="the real Claude Code client is not installed "
    "(npm install --prefix .ci/claude @anthropic-ai/claude-code@2.1.332)",
)


def namespace_prefix() -> list[str]:
    """`unshare -n` (root) or `unshare -rn` (user namespaces); nothing when neither is allowed."""
    for prefix in (["unshare", "-n"], ["unshare", "-rn"]):
        if (
            shutil.which(prefix[0])
            and subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0
        ):
            return prefix
    return []


def run_client(
    tmp_path: Path,
    repo: Path,
    dispatches: list[dict[str, object]],
    *,
    hook: bool,
    install: tuple[str, ...] = ("--user",),
    edit: Any = None,
    race: dict[str, Any] | None = None,
) -> Path:
    out = tmp_path / "out"
    home = out / "home"
    (home / ".claude").mkdir(parents=True)
    if hook:
        res = subprocess.run(
            [sys.executable, "-m", "agenttui", "hook", "claude-code", "install", *install],
            env=dict(os.environ, HOME=str(home)),
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0, res.stderr
    if edit is not None:  # change the installed settings (a control case)
        settings = home / ".claude" / "settings.json"
        settings.write_text(json.dumps(edit(json.loads(settings.read_text()))))
    assert CLAUDE is not None
    subprocess.run(
        [
            *namespace_prefix(),
            sys.executable,
            "-m",
            "tests.realclient.drive",
            str(out),
            str(repo),
            CLAUDE,
            json.dumps(dispatches),
            *([json.dumps(race)] if race else []),
        ],
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    assert (out / "rc").read_text() == "0", (out / "stream.jsonl").read_text()[-3000:]
    return out


def tool_results(out: Path) -> dict[str, str]:
    """What the client sent back to the model for each dispatch (tool_use_id -> text)."""
    results: dict[str, str] = {}
    for line in (out / "requests.jsonl").read_text().splitlines():
        for message in json.loads(line)["body"].get("messages") or []:
            content = message.get("content")
            for block in content if isinstance(content, list) else []:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    inner = block.get("content")
                    text = (
                        inner
                        if isinstance(inner, str)
                        else " ".join(str(b.get("text", "")) for b in inner or [] if isinstance(b, dict))
                    )
                    results[str(block["tool_use_id"])] = text
    return results


def landed(repo: Path, name: str) -> list[str]:
    """Where `name.txt` was written: "main" (the main checkout) or the worktree folder's name."""
    where = ["main"] if (repo / f"{name}.txt").exists() else []
    return where + sorted(p.parent.name for p in (repo / ".claude" / "worktrees").glob(f"*/{name}.txt"))


DISPATCHES: list[dict[str, object]] = [
    {"description": "fix login", "prompt": "AGENTTUI-WRITE login", "subagent_type": "general-purpose"},
    {
        "description": "fix logout",
        "prompt": "AGENTTUI-WRITE logout",
        "subagent_type": "general-purpose",
        "isolation": "worktree",
    },
]
# definitions found by frontmatter `name:` in a sub-folder, whatever the file is called
DEFINITIONS = {
    ".claude/agents/team/any-file-name.md": (
        "---\nname: fixer\ndescription: fixes things\nisolation: worktree  # one tree per agent\n---\nFix it.\n"
    ),
    ".claude/agents/loose.md": "---\nname: loose\ndescription: looks isolated\nisolation: Worktree\n---\nFix it.\n",
}


def test_control_without_the_gate_an_unisolated_subagent_writes_into_the_main_checkout(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", files=DEFINITIONS)
    loose = {"description": "loose", "prompt": "AGENTTUI-WRITE loose", "subagent_type": "loose"}
    run_client(tmp_path, repo, [*DISPATCHES, loose], hook=False)
    assert landed(repo, "login") == ["main"]  # the incident: a subagent writing in the shared checkout
    (where,) = landed(repo, "logout")
    assert where.startswith("agent-")
    # `isolation: Worktree` in a definition is ignored by the client: that agent writes in main too
    assert landed(repo, "loose") == ["main"]


def test_the_gate_denies_the_unisolated_dispatch_in_the_real_client(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    out = run_client(tmp_path, repo, DISPATCHES, hook=True)
    results = tool_results(out)
    assert results["toolu_mock_0"].startswith("PreToolUse:Agent hook error: agenttui:")
    assert '"isolation": "worktree"' in results["toolu_mock_0"]  # the model is told exactly what to pass
    assert "hook error" not in results["toolu_mock_1"]
    assert landed(repo, "login") == []  # denied: it never ran
    (where,) = landed(repo, "logout")  # the isolated one ran, in a worktree of its own
    assert where.startswith("agent-")
    records = [json.loads(line) for line in (repo / ".git" / "agenttui" / "journal.jsonl").read_text().splitlines()]
    decisions = {r["description"]: r["decision"] for r in records if r["event"] == "claude-code-dispatch"}
    assert decisions == {"fix login": "deny", "fix logout": "allow"}
    # the subagent's own tool call reached the journal with its worktree as cwd (the incident's record)
    writes = [r for r in records if r.get("hook") == "PostToolUse" and r.get("tool_name") == "Bash"]
    assert [Path(r["cwd"]).name for r in writes] == [where]
    # its pane (and status) is titled by the dispatch, not by the client's folder name
    res = subprocess.run(
        [sys.executable, "-m", "agenttui", "status", "--json", str(repo)],
        capture_output=True,
        text=True,
        check=False,
        cwd=repo,
    )
    assert res.returncode == 0, res.stderr
    (agent,) = [a for a in json.loads(res.stdout)["agents"] if a["name"] == where]
    assert agent["title"] == "fix logout (general-purpose)"


def test_shapes_decided_as_the_client_runs_them(tmp_path: Path) -> None:
    """The legacy `Task` name, a definition found by frontmatter name in a sub-folder with
    `isolation: worktree  # comment`, one with `isolation: Worktree` (which the client ignores), and
    `"isolation": "Worktree"` in the tool input (which the client refuses before any hook)."""
    repo = make_repo(tmp_path / "repo", files=DEFINITIONS)
    dispatches: list[dict[str, object]] = [
        {"_tool": "Task", "description": "task alias", "prompt": "AGENTTUI-WRITE alias"},
        {"description": "defined isolated", "prompt": "AGENTTUI-WRITE fixer", "subagent_type": "fixer"},
        {"description": "defined loose", "prompt": "AGENTTUI-WRITE loose", "subagent_type": "loose"},
        {
            "description": "capitalised",
            "prompt": "AGENTTUI-WRITE capital",
            "subagent_type": "general-purpose",
            "isolation": "Worktree",
        },
    ]
    out = run_client(tmp_path, repo, dispatches, hook=True)
    results = tool_results(out)
    assert results["toolu_mock_0"].startswith("PreToolUse:Agent hook error: agenttui:")  # Task arrives as Agent
    assert "hook error" not in results["toolu_mock_1"]
    assert results["toolu_mock_2"].startswith("PreToolUse:Agent hook error: agenttui:")
    assert "InputValidationError" in results["toolu_mock_3"]  # the client's own schema check
    assert landed(repo, "alias") == [] and landed(repo, "loose") == [] and landed(repo, "capital") == []
    (where,) = landed(repo, "fixer")  # the client isolated the defined agent, as the gate assumed
    assert where.startswith("agent-")


WORKFLOW = (
    "export const meta = {name: 'two', description: 'two agents'}\n"
    "await parallel([agent('AGENTTUI-WRITE wf1', {label: 'one'}),\n"
    "                agent('AGENTTUI-WRITE wf2', {label: 'two'})])\n"
)


@pytest.mark.parametrize("hooked", [False, True], ids=["control-without-the-gate", "gated"])
def test_a_workflow_of_unisolated_agents_is_refused_by_the_real_client(tmp_path: Path, hooked: bool) -> None:
    repo = make_repo(tmp_path / "repo")
    out = run_client(tmp_path, repo, [{"_tool": "Workflow", "script": WORKFLOW}], hook=hooked)
    result = tool_results(out)["toolu_mock_0"]
    if hooked:
        assert result.startswith("PreToolUse:Workflow hook error: agenttui:") and "isolation: 'worktree'" in result
    else:
        assert result.startswith("Workflow launched")  # the route the gate closes


@pytest.mark.parametrize("base", ["head", "fresh"], ids=["rewrite-sets-baseRef-head", "control-fresh"])
def test_rewrite_keeps_unpushed_commits_in_the_subagents_worktree(tmp_path: Path, base: str) -> None:
    """`install --rewrite` adds isolation to a dispatch, so the subagent's code is the worktree the
    client makes: with the client's default (fresh: origin/<default> after a fetch) the user's
    unpushed commit is missing; the install sets worktree.baseRef = head."""
    repo = make_repo(tmp_path / "repo")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "fetch", "-q", "origin")
    git(repo, "remote", "set-head", "origin", "main")
    git(repo, "branch", "-q", "--set-upstream-to=origin/main", "main")
    (repo / "unpushed.txt").write_text("the user's local work\n")
    git(repo, "add", "unpushed.txt")
    git(repo, "commit", "-q", "-m", "unpushed")
    local = git(repo, "rev-parse", "HEAD").strip()

    def fresh(settings: dict[str, Any]) -> dict[str, Any]:
        settings.pop("worktree", None)
        return settings

    out = run_client(
        tmp_path,
        repo,
        [DISPATCHES[0]],
        hook=True,
        install=("--user", "--rewrite"),
        edit=fresh if base == "fresh" else None,
    )
    assert "hook error" not in tool_results(out)["toolu_mock_0"]  # rewritten, not denied
    (where,) = landed(repo, "login")
    assert where.startswith("agent-")  # the rewrite isolated it
    wt = repo / ".claude" / "worktrees" / where
    if base == "head":
        assert git(wt, "merge-base", "--is-ancestor", local, "HEAD") == "" and (wt / "unpushed.txt").exists()
    else:
        assert not (wt / "unpushed.txt").exists()  # the problem the setting fixes


@pytest.mark.parametrize("guarded", [False, True], ids=["control-hook-only", "guard-armed"])
def test_a_script_run_from_an_isolated_subagents_worktree_is_caught_by_the_guard(tmp_path: Path, guarded: bool) -> None:
    """An isolated subagent writes tidy.sh into its worktree and runs `sh tidy.sh`, which stashes the
    main checkout: the command text shows nothing of it, so the tool-call hook alone lets it through
    (control). With the guard armed, the git process is caught as it works, named by the subagent's
    worktree, and the subagent's next shell call is refused by the hook."""
    from agenttui.core.git import repo as gitrepo
    from agenttui.core.guard import main_checkout as g
    from agenttui.core.guard.alerts import Alert

    repo = make_repo(tmp_path / "repo")
    (repo / "file0.txt").write_text("the user's unfinished work\n")  # something for the script to stash
    caught: list[Alert] = []
    gd = g.Guard(gitrepo.open_repo(repo), repo.resolve(), ignore=(".claude/*",))
    gd.on_escape = caught.append
    if guarded:
        gd.arm()
    try:
        dispatch = {
            "description": "tidy",
            "prompt": "AGENTTUI-SCRIPT tidy",
            "subagent_type": "general-purpose",
            "isolation": "worktree",
        }
        out = run_client(tmp_path, repo, [dispatch], hook=True)
    finally:
        gd.disarm()
    results = tool_results(out)
    assert "hook error" not in results["toolu_mock_0"] and "hook error" not in results["toolu_script_tidy"]
    assert "tidy-by-subagent" in git(repo, "stash", "list")  # the script really stashed the main checkout
    (wt,) = (repo / ".claude" / "worktrees").glob("agent-*")
    if not guarded:
        assert caught == [] and (wt / "after-tidy.txt").exists()  # nothing stopped it
        return
    (alert,) = caught
    assert alert.agents == (wt.name,) and "git stash push -u -q -m tidy-by-subagent" in alert.text
    assert results["toolu_after_tidy"].startswith("PreToolUse:Bash hook error: agenttui:")
    assert "lost its shell" in results["toolu_after_tidy"] and not (wt / "after-tidy.txt").exists()
    journal = (repo / ".git" / "agenttui" / "journal.jsonl").read_text()
    assert '"event": "escape"' in journal


@pytest.mark.parametrize("hooked", [True, False])
def test_an_isolated_subagents_shell_write_into_the_main_checkout_is_read_as_sh_reads_it(
    tmp_path: Path, hooked: bool
) -> None:
    """In the real client an isolated subagent runs `ls a#b; cp file0.txt <main>/stolen.txt`: a
    reader taking '#' for a comment, or knowing only '>' and tee, lets it through.  With the hook
    it is refused and nothing lands; the control without it shows the file landing in main (the
    client itself does not look)."""
    import base64

    repo = make_repo(tmp_path / "repo")
    command = f"ls a#b; cp file0.txt {repo}/stolen.txt"
    prompt = "AGENTTUI-BASH " + base64.b64encode(command.encode()).decode()
    out = run_client(
        tmp_path,
        repo,
        [{"description": "tidy", "prompt": prompt, "subagent_type": "general-purpose", "isolation": "worktree"}],
        hook=hooked,
    )
    result = tool_results(out).get("toolu_bash_0", "")
    if hooked:
        assert not (repo / "stolen.txt").exists()
        assert "outside its worktree" in result and f"{repo}/stolen.txt" in result
    else:
        assert (repo / "stolen.txt").exists()  # the incident: written into the shared checkout


@pytest.mark.parametrize("hooked", [False, True], ids=["control-without-the-hook", "guarded"])
def test_a_skills_inline_shell_command_is_guarded_like_bash(tmp_path: Path, hooked: bool) -> None:
    """2.1.332 runs a skill's inline shell commands (!`cmd` in SKILL.md) through PreSkillShellCommand,
    never the Bash matcher: an isolated subagent's skill writing into the main checkout went through
    (the control).  `install` hooks that route too: refused, nothing lands."""
    repo = make_repo(tmp_path / "repo")
    skill = f"---\nname: tidy\ndescription: tidies up\n---\nTidy: !`echo stolen > {repo}/stolen.txt`\n"
    (repo / ".claude" / "skills" / "tidy").mkdir(parents=True)
    (repo / ".claude" / "skills" / "tidy" / "SKILL.md").write_text(skill)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a skill")  # (the isolated worktree starts from HEAD: it has the skill)
    run_client(
        tmp_path,
        repo,
        [
            {
                "description": "tidy",
                "prompt": "AGENTTUI-SKILL tidy",
                "subagent_type": "general-purpose",
                "isolation": "worktree",
            }
        ],
        hook=hooked,
    )
    if not hooked:
        assert (repo / "stolen.txt").exists()
        return
    assert not (repo / "stolen.txt").exists()
    journal = (repo / ".git" / "agenttui" / "journal.jsonl").read_text()
    assert "claude-code-tool-denied" in journal and "outside its worktree" in journal


@pytest.mark.parametrize("fenced", [False, True], ids=["control-unfenced", "fenced"])
def test_the_clients_own_fence_stops_write_into_the_main_checkout_but_not_the_shell(
    tmp_path: Path, fenced: bool
) -> None:
    """What the launcher gives plan agents that run `claude` in their worktrees, pinned against the real
    client (undocumented in 2.1.332): CLAUDE_CODE_HOST_WORKTREE=<worktree> and
    CLAUDE_CODE_HOST_WORKTREE_FENCE=["<main checkout>"] make the client refuse its Write tool into the
    main checkout — and not `echo > <main>/x` through Bash, which is why agenttui's guard stays."""
    import base64

    repo = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "agents/c", str(wt))
    fence = {"CLAUDE_CODE_HOST_WORKTREE": str(wt), "CLAUDE_CODE_HOST_WORKTREE_FENCE": json.dumps([str(repo)])}
    shell = "AGENTTUI-BASH " + base64.b64encode(f"echo shell > {repo}/by-shell.txt".encode()).decode()
    dispatches = [
        {
            "description": "write",
            "prompt": f"AGENTTUI-WRITEFILE {repo}/by-write.txt",
            "subagent_type": "general-purpose",
        },
        {"description": "shell", "prompt": shell, "subagent_type": "general-purpose"},
    ]
    os.environ["AGENTTUI_DRIVE_ENV"] = json.dumps(fence if fenced else {})
    try:
        run_client(tmp_path, wt, dispatches, hook=False)
    finally:
        os.environ.pop("AGENTTUI_DRIVE_ENV", None)
    assert (repo / "by-write.txt").exists() is not fenced  # the fence (only) refused the Write tool
    assert (repo / "by-shell.txt").exists()  # ... and not the shell: the guard's job
