"""The dispatch plan: ``agenttui.toml`` at the repository root.

```toml
[settings]
worktree_root = "../myrepo.agents"   # default: <repo>.agents/ beside the checkout
branch_prefix = "agents/"

[guard]
ignore = ["*.log"]

[[agent]]
name = "auth"
command = ["claude", "-p", "fix auth"]   # a list runs without a shell
writes = true                            # default true
isolation = "worktree"                   # or "none"
base = "HEAD"
env = { FOO = "1" }
```
Errors name the file and the line.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agenttui.core.errors import PlanError
from agenttui.core.git import cmd as gitcmd

PLAN_FILE = "agenttui.toml"
AGENT_KEYS = {"name", "command", "writes", "isolation", "base", "env", "branch", "worktree", "runner", "client"}
CLIENTS = ("claude-code", "codex", "gemini")


def client_of(command: tuple[str, ...] | str) -> str | None:
    """Which agent CLI a command runs, from its program's name (None: none agenttui knows)."""
    import os
    import shlex

    try:
        argv = shlex.split(command) if isinstance(command, str) else list(command)
    except ValueError:
        return None
    prog = os.path.basename(argv[0]) if argv else ""
    return {"claude": "claude-code", "codex": "codex", "gemini": "gemini"}.get(prog)
SETTINGS_KEYS = {"worktree_root", "branch_prefix", "agent_nice"}
GUARD_KEYS = {"ignore"}
TOP_KEYS = {"agent", "settings", "guard", "land", "notify"}
LAND_KEYS = {"check"}
NOTIFY_KEYS = {"command", "desktop"}
DESKTOP = ("auto", "osc9", "osc777", "off")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class AgentSpec:
    name: str
    command: tuple[str, ...] | str  # tuple: argv without a shell; str: a shell command line
    writes: bool = True
    isolation: str = "worktree"
    base: str = "HEAD"
    env: tuple[tuple[str, str], ...] = ()
    branch: str | None = None  # explicit branch (default <branch_prefix><name>)
    worktree: str | None = None  # explicit worktree path (default <worktree_root>/<name>)
    runner: str = "process"  # "process" (a child process, output to a log) or "tmux" (a tmux window)
    line: int = 0
    client: str | None = None  # the agent CLI it runs (claude-code, codex, gemini): how its state is read

    @property
    def shell(self) -> bool:
        return isinstance(self.command, str)

    @property
    def command_text(self) -> str:
        if isinstance(self.command, str):
            return self.command
        import shlex

        return shlex.join(self.command)


@dataclass(frozen=True)
class Plan:
    path: Path | None  # None for an empty plan (no file)
    agents: tuple[AgentSpec, ...]
    worktree_root: str | None = None
    branch_prefix: str = "agents/"
    guard_ignore: tuple[str, ...] = ()
    agent_nice: int = 5  # agents run this much nicer than the supervisor (0: same priority)
    fingerprint: str = field(default="")
    land_check: tuple[str, ...] | str | None = None  # [land] check: run on a landing's candidate
    notify_command: tuple[str, ...] | None = None  # [notify] command: run on an agent's state edge
    notify_desktop: str = "auto"  # [notify] desktop: the terminal's own notification (OSC 9 / 777)

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.agents]


def empty_plan() -> Plan:
    return Plan(path=None, agents=(), fingerprint=hashlib.sha256(b"").hexdigest())


def _line_index(text: str) -> tuple[list[int], dict[tuple[int, str], int], dict[str, int]]:
    """Line numbers of each ``[[agent]]`` header, each key inside it, and each top-level table."""
    agent_lines: list[int] = []
    key_lines: dict[tuple[int, str], int] = {}
    table_lines: dict[str, int] = {}
    current = -1
    section = ""
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if re.match(r"^\[\[\s*agent\s*\]\]", line):
            agent_lines.append(no)
            current = len(agent_lines) - 1
            section = "agent"
            continue
        m = re.match(r"^\[\s*([A-Za-z0-9_.\"-]+)\s*\]", line)
        if m:
            section = m.group(1).strip('"')
            table_lines.setdefault(section, no)
            current = -1
            continue
        km = re.match(r"^([A-Za-z0-9_\"-]+)\s*=", line)
        if km:
            key = km.group(1).strip('"')
            if section == "agent" and current >= 0:
                key_lines.setdefault((current, key), no)
            else:
                table_lines.setdefault(f"{section}.{key}" if section else key, no)
    return agent_lines, key_lines, table_lines


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file.  Raises :class:`PlanError` naming the file and line."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise PlanError(f"{p}: no such plan file") from None
    except OSError as exc:
        raise PlanError(f"{p}: cannot read plan: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PlanError(f"{p}: plan is not UTF-8 text") from None
    return parse_plan(text, p, fingerprint=hashlib.sha256(raw).hexdigest())


def parse_plan(text: str, path: Path, *, fingerprint: str | None = None) -> Plan:
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per nesting level (100,000 nested arrays)
        raise PlanError(f"{path}: malformed TOML: nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        if m:
            where = f":{m.group(1)}"
        elif "end of document" in msg:
            where = f":{max(1, len(text.splitlines()))}"
        else:
            where = ""
        detail = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", msg)
        raise PlanError(f"{path}{where}: malformed TOML: {detail}") from None
    agent_lines, key_lines, table_lines = _line_index(text)

    def err(line: int | None, message: str) -> PlanError:
        return PlanError(f"{path}:{line}: {message}" if line else f"{path}: {message}")

    for key in data:
        if key not in TOP_KEYS:
            raise err(table_lines.get(key), f"unknown key '{key}' (expected agent, settings, guard, land, notify)")
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise err(table_lines.get("settings"), "'settings' must be a table")
    for key in settings:
        if key not in SETTINGS_KEYS:
            raise err(table_lines.get(f"settings.{key}"), f"unknown key 'settings.{key}'")
    worktree_root = settings.get("worktree_root")
    if worktree_root is not None and (not isinstance(worktree_root, str) or not worktree_root):
        raise err(table_lines.get("settings.worktree_root"), "worktree_root must be a non-empty string")
    prefix = settings.get("branch_prefix", "agents/")
    if not isinstance(prefix, str) or (prefix and gitcmd.branch_name_problem(f"{prefix}x") is not None):
        raise err(table_lines.get("settings.branch_prefix"),
                  f"branch_prefix {prefix!r} is not valid in a branch name"
                  + (" (it starts with '-')" if isinstance(prefix, str) and prefix.startswith("-") else ""))
    agent_nice = settings.get("agent_nice", 5)
    if not isinstance(agent_nice, int) or isinstance(agent_nice, bool) or not 0 <= agent_nice <= 19:
        raise err(table_lines.get("settings.agent_nice"), "agent_nice must be an integer from 0 to 19")
    guard = data.get("guard", {})
    if not isinstance(guard, dict):
        raise err(table_lines.get("guard"), "'guard' must be a table")
    for key in guard:
        if key not in GUARD_KEYS:
            raise err(table_lines.get(f"guard.{key}"), f"unknown key 'guard.{key}'")
    ignore = guard.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(g, str) for g in ignore):
        raise err(table_lines.get("guard.ignore"), "guard.ignore must be a list of glob strings")

    land = data.get("land", {})
    if not isinstance(land, dict):
        raise err(table_lines.get("land"), "'land' must be a table")
    for key in land:
        if key not in LAND_KEYS:
            raise err(table_lines.get(f"land.{key}"), f"unknown key 'land.{key}'")
    land_check = land.get("check")
    if land_check is not None and not (
        (isinstance(land_check, str) and land_check.strip())
        or (isinstance(land_check, list) and land_check and all(isinstance(c, str) for c in land_check))
    ):
        raise err(table_lines.get("land.check"), "land.check must be a non-empty list of strings or a shell string")

    notify = data.get("notify", {})
    if not isinstance(notify, dict) or set(notify) - NOTIFY_KEYS:
        raise err(table_lines.get("notify"), "'notify' must be a table with the keys command and desktop")
    notify_desktop = notify.get("desktop", "auto")
    if notify_desktop not in DESKTOP:
        raise err(table_lines.get("notify.desktop"), f"notify.desktop must be one of {', '.join(DESKTOP)}")
    notify_command = notify.get("command")
    if notify_command is not None and not (isinstance(notify_command, list) and notify_command
                                           and all(isinstance(c, str) for c in notify_command)):
        raise err(table_lines.get("notify.command"), "notify.command must be a non-empty list of strings "
                  "(it runs without a shell)")

    raw_agents = data.get("agent", [])
    if not isinstance(raw_agents, list):
        raise err(table_lines.get("agent"), "'agent' must be an array of tables: use [[agent]]")
    agents: list[AgentSpec] = []
    seen: dict[str, int] = {}
    for i, a in enumerate(raw_agents):
        line = agent_lines[i] if i < len(agent_lines) else None

        def kline(key: str, i: int = i, line: int | None = line) -> int | None:
            return key_lines.get((i, key), line)

        if not isinstance(a, dict):
            raise err(line, "each agent must be a table")
        for key in a:
            if key not in AGENT_KEYS:
                raise err(kline(key), f"unknown key '{key}' in [[agent]]")
        name = a.get("name")
        if not isinstance(name, str) or not name:
            raise err(line, "agent has no 'name'")
        if not _NAME.match(name) or name.endswith(".lock") or ".." in name:
            raise err(
                kline("name"),
                f"agent name {name!r} must be letters, digits, '.', '_' or '-' (valid in a ref and a path)",
            )
        if name.lower() in seen:
            raise err(kline("name"), f"agent name {name!r} is used twice (first at line {seen[name.lower()]})")
        seen[name.lower()] = kline("name") or 0
        command = a.get("command")
        cmd: tuple[str, ...] | str
        if isinstance(command, str) and command.strip():
            cmd = command
        elif (
            isinstance(command, list)
            and command
            and all(isinstance(c, str) for c in command)
            and command[0]
        ):
            cmd = tuple(command)
        else:
            raise err(
                kline("command"),
                f"agent {name!r}: 'command' must be a non-empty list of strings or a shell string",
            )
        writes = a.get("writes", True)
        if not isinstance(writes, bool):
            raise err(kline("writes"), f"agent {name!r}: 'writes' must be true or false")
        isolation = a.get("isolation", "worktree")
        if isolation not in ("worktree", "none"):
            raise err(
                kline("isolation"),
                f"agent {name!r}: isolation must be \"worktree\" or \"none\", not {isolation!r}",
            )
        base = a.get("base", "HEAD")
        if not isinstance(base, str) or not base or "\n" in base or base.startswith("-"):
            raise err(kline("base"), f"agent {name!r}: 'base' must be a revision")
        env = a.get("env", {})
        if not isinstance(env, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in env.items()
        ):
            raise err(kline("env"), f"agent {name!r}: 'env' must be a table of strings")
        branch = a.get("branch")
        if branch is not None:
            problem = gitcmd.branch_name_problem(branch) if isinstance(branch, str) else "is not a string"
            if problem is not None:
                raise err(kline("branch"), f"agent {name!r}: branch {branch!r} {problem}")
        worktree = a.get("worktree")
        if worktree is not None and (not isinstance(worktree, str) or not worktree):
            raise err(kline("worktree"), f"agent {name!r}: 'worktree' must be a path")
        runner = a.get("runner", "process")
        if runner not in ("process", "tmux"):
            raise err(kline("runner"), f"agent {name!r}: runner must be \"process\" or \"tmux\", not {runner!r}")
        client = a.get("client", client_of(cmd))
        if client is not None and client not in CLIENTS:
            raise err(kline("client"), f"agent {name!r}: client must be one of {', '.join(CLIENTS)}, not {client!r}")
        # a name of letters, digits, '_' and '-' under a valid prefix is a valid ref by git's rules;
        # only names with dots need git's own word (one process per name is slow for 32 agents)
        if branch is None and "." in name and not gitcmd.check_ref_format(f"refs/heads/{prefix}{name}"):
            raise err(kline("name"), f"agent {name!r}: branch '{prefix}{name}' is not a valid ref")
        agents.append(
            AgentSpec(
                name=name,
                command=cmd,
                writes=writes,
                isolation=isolation,
                base=base,
                env=tuple(sorted(env.items())),
                branch=branch,
                worktree=worktree,
                runner=runner,
                line=line or 0,
                client=client,
            )
        )
    return Plan(
        path=path,
        agents=tuple(agents),
        worktree_root=worktree_root,
        branch_prefix=prefix,
        guard_ignore=tuple(ignore),
        agent_nice=agent_nice,
        land_check=tuple(land_check) if isinstance(land_check, list) else land_check,
        notify_command=tuple(notify_command) if notify_command else None,
        notify_desktop=str(notify_desktop),
        fingerprint=fingerprint or hashlib.sha256(text.encode()).hexdigest(),
    )


def find_plan(toplevel: Path | None, explicit: str | Path | None = None) -> Path | None:
    """The plan file to use: *explicit*, else ``agenttui.toml`` at the root, else None."""
    if explicit is not None:
        return Path(explicit)
    if toplevel is not None and (toplevel / PLAN_FILE).is_file():
        return toplevel / PLAN_FILE
    return None


def as_json(plan: Plan) -> dict[str, Any]:
    return {
        "path": str(plan.path) if plan.path else None,
        "agents": [a.name for a in plan.agents],
    }
