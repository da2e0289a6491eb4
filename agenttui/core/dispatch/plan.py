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
Errors name the file, the line and the key path (``agent[1].isolation``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agenttui.core.errors import PlanError
from agenttui.core.git import cmd as gitcmd

CLIENTS = ("claude-code", "codex", "gemini")


def _digest(data: bytes) -> str:
    import hashlib  # (with tomllib, imported when a plan is read: `agenttui recover` only finds the file)

    return hashlib.sha256(data).hexdigest()


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
    return Plan(path=None, agents=(), fingerprint=_digest(b""))


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
    return parse_plan(text, p, fingerprint=_digest(raw))


_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<at>[^`]*)`)?$", re.S)
_FIELD = re.compile(r"^Object (?:contains unknown|missing required) field `(?P<field>[^`]+)`$")


_CHOICES = {
    "isolation": ("worktree", "none"),
    "runner": ("process", "tmux"),
    "client": CLIENTS,
    "desktop": ("auto", "osc9", "osc777", "off"),
}
_TOML_TYPES = {
    "str": "a string",
    "bool": "true or false",
    "int": "an integer",
    "array": "a list",
    "object": "a table",
    "null": "absent",
    "float": "a number",
}


def _key_path(exc: Exception) -> tuple[str, str]:
    """(key path as written in TOML, what is wrong, in TOML's words) from msgspec's
    ``Expected `bool`, got `str` - at `$.agent[0].writes` ``."""
    m = _AT.match(str(exc))
    what, at = (m.group("what"), m.group("at") or "") if m else (str(exc), "")
    at = at.lstrip(".")
    f = _FIELD.match(what)
    if f:
        return f"{at}.{f.group('field')}".lstrip("."), "unknown key" if "unknown" in what else "is missing"
    leaf = re.split(r"[.\[]", at)[-1] if at else ""
    if what.startswith("Invalid enum value") and leaf in _CHOICES:
        return at, f"must be one of {', '.join(_CHOICES[leaf])}, not {what.split('value ', 1)[1]}"
    if "length >= 1" in what:
        return at, "must not be empty"
    bound = re.match(r"Expected `int` ([<>]=) (\d+)", what)
    if bound:
        return at, f"must be {'at most' if bound.group(1) == '<=' else 'at least'} {bound.group(2)}"
    types = re.match(r"Expected `([^`]+)`, got `([^`]+)`", what)
    if types:
        want = " or ".join(_TOML_TYPES.get(t.strip(), t.strip()) for t in types.group(1).split("|"))
        return at, f"must be {want}, not {_TOML_TYPES.get(types.group(2), types.group(2))}"
    return at, what


def _line_of(key: str, lines: tuple[list[int], dict[tuple[int, str], int], dict[str, int]]) -> int | None:
    """The line a key path is written on (``agent[2].isolation``, ``settings.agent_nice``)."""
    agent_lines, key_lines, table_lines = lines
    m = re.match(r"^agent\[(\d+)\](?:\.([^.\[]+))?", key)
    if m:
        i = int(m.group(1))
        line = agent_lines[i] if i < len(agent_lines) else None
        return key_lines.get((i, m.group(2)), line) if m.group(2) else line
    return table_lines.get(key) or table_lines.get(key.split(".", 1)[0].split("[", 1)[0])


def parse_plan(text: str, path: Path, *, fingerprint: str | None = None) -> Plan:
    """A plan from the text of ``agenttui.toml``.  Errors: ``FILE:LINE: KEY PATH: what is wrong``
    (the line is the TOML parser's for malformed TOML, else where the key is written)."""
    import tomllib

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
    lines = _line_index(text)
    import msgspec

    from agenttui.core.dispatch.plan_schema import PlanFile  # (msgspec: at the first parse only)

    def err(key: str, message: str) -> PlanError:
        line = _line_of(key, lines)
        return PlanError(f"{path}:{line}: {key}: {message}" if line else f"{path}: {key}: {message}")

    try:
        f = msgspec.convert(data, PlanFile)
    except msgspec.ValidationError as exc:
        key, what = _key_path(exc)
        named = re.match(r"^agent\[(\d+)\]", key)
        if named and int(named.group(1)) < len(data.get("agent") or []):
            agent = data["agent"][int(named.group(1))]
            if isinstance(agent, dict) and isinstance(agent.get("name"), str):
                what += f" (agent {agent['name']!r})"
        raise err(key or "(top)", what) from None
    prefix = f.settings.branch_prefix
    if prefix and gitcmd.branch_name_problem(f"{prefix}x") is not None:
        raise err(
            "settings.branch_prefix",
            f"{prefix!r} is not valid in a branch name" + (" (it starts with '-')" if prefix.startswith("-") else ""),
        )
    if isinstance(f.land.check, str) and not f.land.check.strip():
        raise err("land.check", "must be a non-empty list of strings or a shell string")
    agents: list[AgentSpec] = []
    seen: dict[str, str] = {}
    for i, a in enumerate(f.agent):
        at = f"agent[{i}]"
        name = a.name
        if not _NAME.match(name) or name.endswith(".lock") or ".." in name:
            raise err(f"{at}.name", f"{name!r} must be letters, digits, '.', '_' or '-' (valid in a ref and a path)")
        if name.lower() in seen:
            raise err(f"{at}.name", f"{name!r} is used twice (first at {seen[name.lower()]})")
        seen[name.lower()] = f"{at}, line {_line_of(f'{at}.name', lines)}"
        if isinstance(a.command, str) and not a.command.strip() or isinstance(a.command, list) and not a.command[0]:
            raise err(f"{at}.command", "must be a non-empty list of strings or a shell string")
        cmd: tuple[str, ...] | str = a.command if isinstance(a.command, str) else tuple(a.command)
        if "\n" in a.base or a.base.startswith("-"):
            raise err(f"{at}.base", f"{a.base!r} is not a revision")
        if a.branch is not None and (problem := gitcmd.branch_name_problem(a.branch)) is not None:
            raise err(f"{at}.branch", f"{a.branch!r} {problem}")
        # a name of letters, digits, '_' and '-' under a valid prefix is a valid ref by git's rules;
        # only names with dots need git's own word (one process per name is slow for 32 agents)
        if a.branch is None and "." in name and not gitcmd.check_ref_format(f"refs/heads/{prefix}{name}"):
            raise err(f"{at}.name", f"branch '{prefix}{name}' is not a valid ref")
        agents.append(
            AgentSpec(
                name=name,
                command=cmd,
                writes=a.writes,
                isolation=a.isolation,
                base=a.base,
                env=tuple(sorted(a.env.items())),
                branch=a.branch,
                worktree=a.worktree,
                runner=a.runner,
                line=_line_of(at, lines) or 0,
                client=a.client if a.client is not None else client_of(cmd),
            )
        )
    land = f.land.check
    return Plan(
        path=path,
        agents=tuple(agents),
        worktree_root=f.settings.worktree_root,
        branch_prefix=prefix,
        guard_ignore=tuple(f.guard.ignore),
        agent_nice=f.settings.agent_nice,
        land_check=tuple(land) if isinstance(land, list) else land,
        notify_command=tuple(f.notify.command) if f.notify.command else None,
        notify_desktop=f.notify.desktop,
        fingerprint=fingerprint or _digest(text.encode()),
    )


def as_json(plan: Plan) -> dict[str, Any]:
    return {
        "path": str(plan.path) if plan.path else None,
        "agents": [a.name for a in plan.agents],
    }
