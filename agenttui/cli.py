"""Command line: ``agenttui [REPO]``, ``recover``, ``check``, ``status``, ``demo``.

Bad input gets one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from agenttui.base import exitcodes
from agenttui.base.exitcodes import BAD_INPUT as EXIT_BAD_INPUT
from agenttui.base.exitcodes import OK as EXIT_OK
from agenttui.base.exitcodes import VIOLATIONS as EXIT_VIOLATIONS
from agenttui.core.errors import AgentTuiError, PlanError, shown
from agenttui.core.git import repo as gitrepo

if TYPE_CHECKING:
    from agenttui.core.dispatch.plan import Plan

#: every command, with the line `agenttui --help` gives it (hook is dispatched in entry.py, before this module)
COMMAND_HELP = {
    "recover": "open on the recovery screen (stashes, branches, worktrees, trash, agents, the incident)",
    "check": "verify the plan's isolation and print the announcement (exit 1: violations)",
    "status": "worktrees, branches, stashes and agents (--json; --watch: agent state changes)",
    "incident": "the incident reconstructed from transcripts and reflogs: who changed what (no time needed)",
    "salvage": "each agent's latest work on its own branch, the checkout restored, a re-dispatch",
    "trash": "everything agenttui backed up, newest first",
    "restore": "put trash entries back (ID... or --all)",
    "diff": "an agent's changes against its base",
    "land": "land agents' branches into a base, in the order with the fewest conflicts (undoable)",
    "hook": "hooks for Claude Code, Codex CLI and Gemini CLI: install, uninstall, status (and their entry points)",
    "demo": "a demo repository with four scripted agents (--incident --unsafe: the incident replayed)",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        self.exit(EXIT_BAD_INPUT, f"agenttui: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    """The one parser: every command added through :func:`_command`, each with its own options."""
    p = _Parser(
        prog="agenttui",
        usage="agenttui [REPO] [--plan FILE]  |  agenttui COMMAND [REPO | -C REPO] ...",
        description="Supervise AI coding agents working in parallel on one git repository.",
        epilog="'agenttui COMMAND -h' for each.  Exit codes: 0 ok, 1 a verdict or violation, 2 bad input.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"agenttui {_version()}")
    sub = p.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    # (the supervisor itself, `agenttui [REPO]`: a command of its own, not listed)
    tui = sub.add_parser("open", prog="agenttui")
    tui.set_defaults(func=cmd_tui)
    _repo_options(tui)
    _plan_option(tui)

    c = _command(sub, "recover", lambda a: cmd_tui(a, recover=True))
    _plan_option(c)
    c = _command(sub, "check", cmd_check)
    _plan_option(c)
    _json_option(c)
    c = _command(sub, "status", cmd_status)
    _plan_option(c)
    c.add_argument("--watch", action="store_true", help="print one JSON line per agent state change")
    _json_option(c)
    c = _command(sub, "incident", _lazy("agenttui.commands.recovery", "cmd_incident"))
    _since_option(c)
    _json_option(c)
    c = _command(sub, "salvage", _lazy("agenttui.commands.recovery", "cmd_salvage"))
    who = c.add_mutually_exclusive_group(required=True)
    who.add_argument("--all", action="store_true", help="every agent, then restore the checkout")
    who.add_argument("--agent", nargs="+", metavar="NAME", help="only these agents' branches")
    c.add_argument("--yes", action="store_true", help="do it (without: show what would happen)")
    _since_option(c)
    _json_option(c)
    c = _command(sub, "trash", _lazy("agenttui.commands.recovery", "cmd_trash"))
    _json_option(c)
    c = _command(sub, "restore", _lazy("agenttui.commands.recovery", "cmd_restore"), names="ids")
    c.add_argument("ids", nargs="*", metavar="ID", help="trash entries to restore (see agenttui trash)")
    c.add_argument("--all", action="store_true", help="restore every entry (stashes in their old order)")
    c = _command(sub, "diff", _lazy("agenttui.commands.landing", "cmd_diff"), names="name")
    c.add_argument("name", help="an agent (plan name or worktree folder) or a branch")
    c.add_argument("--stat", action="store_true", help="the file list with +/- counts only")
    c.add_argument("--into", help="the base branch (default: the main checkout's branch)")
    _json_option(c)
    c = _command(sub, "land", _lazy("agenttui.commands.landing", "cmd_land"), names="names")
    c.add_argument("names", nargs="+", metavar="NAME", help="agents or branches to land")
    how = c.add_mutually_exclusive_group()
    for m in ("squash", "rebase", "merge", "ff"):
        how.add_argument(f"--{m}", dest="mode", action="store_const", const=m)
    c.add_argument("--into", help="the branch to land into (default: the main checkout's branch)")
    c.add_argument("--check", help="a command run on the candidate result before the base moves")
    c.add_argument("--yes", action="store_true", help="do it (without: show the order and what would happen)")
    c.add_argument("--keep", action="store_true", help="keep the worktree and branch after landing")
    c.add_argument("--commit", metavar="MESSAGE", help="commit an agent's uncommitted work first, with MESSAGE")
    c.add_argument(
        "--rebase-rest",
        action="store_true",
        help="then rebase the other agents that would rebase cleanly onto the new base",
    )
    _json_option(c)
    c = _command(sub, "hook", _hook, repo=False, add_help=False)
    c.add_argument("rest", nargs=argparse.REMAINDER)
    c = _command(sub, "demo", cmd_demo, repo=False)
    c.add_argument("path", nargs="?", help="where to create the demo repository (default: a new temporary folder)")
    c.add_argument("--no-tui", action="store_true", help="create the demo and print its path")
    c.add_argument("--seconds", type=float, default=90.0, help="how long the demo agents work (default 90)")
    c.add_argument(
        "--incident",
        action="store_true",
        help="replay the incident: four agents in ONE shared checkout (isolation = none)",
    )
    c.add_argument(
        "--unsafe", action="store_true", help="demo only, with --incident: let f fire without the isolation gate"
    )
    return p


def _lazy(module: str, name: str) -> Any:
    """A command's function, imported when it runs (start-up pays for no command's modules)."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        return int(getattr(importlib.import_module(module), name)(args))

    return run


def _command(
    sub: Any, name: str, func: Any, *, repo: bool = True, names: str | None = None, add_help: bool = True
) -> argparse.ArgumentParser:
    """One subcommand: its help line, its function, and (*repo*) ``[REPO]`` and ``-C/--repo``."""
    c: argparse.ArgumentParser = sub.add_parser(
        name, help=COMMAND_HELP[name], description=COMMAND_HELP[name], prog=f"agenttui {name}", add_help=add_help
    )
    c.set_defaults(func=func, names_attr=names, json=False)
    if repo:
        _repo_options(c)
    return c


def _repo_options(c: argparse.ArgumentParser) -> None:
    c.add_argument("repo", nargs="?", default=None, help="a path inside the checkout (default: .)")
    c.add_argument(
        "-C",
        "--repo",
        dest="repo_option",
        metavar="REPO",
        help="a path inside the checkout (the same as REPO, for scripts)",
    )


def _plan_option(c: argparse.ArgumentParser) -> None:
    c.add_argument("--plan", help="plan file (default: agenttui.toml at the repo root)")


def _json_option(c: argparse.ArgumentParser) -> None:
    c.add_argument("--json", action="store_true", help="machine-readable output")


def _since_option(c: argparse.ArgumentParser) -> None:
    c.add_argument(
        "--since",
        help="when it began, if you know better: unix seconds, 2026-12-01T14:00, or an "
        "age (30m, 2h); by default the first dispatch of agents sharing a checkout",
    )


def _settle_repo(args: argparse.Namespace) -> None:
    """REPO from ``-C`` or the positional word; a positional word that is a name, not a path
    (``diff NAME``, ``restore ID``, ``land NAME...``), joins the names."""
    if not hasattr(args, "repo_option"):
        return
    word, option = args.repo, args.repo_option
    attr = getattr(args, "names_attr", None)
    if word is not None and attr is not None and (option is not None or not os.path.exists(word)):
        value = getattr(args, attr)
        if isinstance(value, list) and not (attr == "ids" and getattr(args, "all", False) and option is None):
            value.insert(0, word)
            word = None
    args.repo = option or word or "."


def _hook(args: argparse.Namespace) -> int:
    from agenttui.hooks.cli import main as hook_main

    return hook_main(args.rest)


def _version() -> str:
    from agenttui import __version__

    return __version__


def _load(repo_arg: str, plan_arg: str | None, *, required: bool) -> tuple[Any, Plan]:
    from agenttui.core.dispatch.plan import empty_plan, load_plan
    from agenttui.core.dispatch.planfile import find_plan

    paths = gitrepo.open_repo(repo_arg)
    plan_path = find_plan(paths.toplevel, plan_arg)
    if plan_path is None:
        if required:
            where = paths.toplevel or paths.common_dir
            raise PlanError(f"{where}: no plan: create agenttui.toml there or pass --plan FILE")
        return paths, empty_plan()
    return paths, load_plan(plan_path)


def cmd_check(args: argparse.Namespace) -> int:
    paths, plan = _load(args.repo, args.plan, required=True)
    from agenttui.core.dispatch.check import gather_facts, verify

    verdict = verify(plan, gather_facts(paths, plan))
    if args.json:
        print(json.dumps(verdict.to_json(), ensure_ascii=False))
        return EXIT_OK if verdict.ok else EXIT_VIOLATIONS
    if verdict.ok:
        for t in verdict.targets:
            where = f"worktree {shown(t.path)} on {shown(t.branch)}" if t.isolated else "main checkout"
            print(f"  {t.name}: {where}")
        print(verdict.announcement)
        return EXIT_OK
    for v in verdict.violations:
        print(v.line)
    return EXIT_VIOLATIONS


def status_data(paths: Any, plan: Plan) -> dict[str, Any]:
    snap = gitrepo.snapshot(paths, dirty=True)
    head = snap.head
    from agenttui.core.dispatch.check import plan_targets

    targets = plan_targets(plan, snap.main_checkout, head)
    by_path = {os.path.normpath(w.path): w for w in snap.worktrees}
    agents: list[dict[str, Any]] = []
    owned: set[str] = set()
    from agenttui.core.dispatch.supervisor import launched_pids

    pids = launched_pids(paths)
    for a, t in zip(plan.agents, targets, strict=False):
        w = by_path.get(os.path.normpath(t.path))
        if t.isolated:
            owned.add(os.path.normpath(t.path))
        agents.append(
            {
                "name": a.name,
                "source": "plan",
                "writes": a.writes,
                "isolation": a.isolation,
                "worktree": str(t.path),
                "branch": t.branch,
                "exists": w is not None,
                "pid": pids.get(a.name),
            }
        )
    for w in snap.worktrees:
        if w.is_main or os.path.normpath(w.path) in owned:
            continue
        agents.append(
            {
                "name": w.path.name,
                "source": "worktree",
                "writes": None,
                "isolation": "worktree",
                "worktree": str(w.path),
                "branch": w.branch,
                "exists": True,
                "pid": None,
            }
        )
    from agenttui.core import journal
    from agenttui.core.agents.state import dispatch_titles, offline_states

    records = journal.read(paths)
    titles = dispatch_titles(records)
    for entry in agents:
        if entry["source"] == "worktree" and entry["name"] in titles:
            entry["title"] = titles[entry["name"]]  # a Claude Code subagent: the dispatch that made it
    landed = [
        {k: r.get(k) for k in ("time", "agent", "branch", "base", "mode", "old", "new", "trash")}
        for r in records
        if r.get("event") == "landed"
    ]
    states = offline_states(records, agents)
    for entry in agents:
        st = states.get(entry["name"])
        if st is not None:
            entry.update({"state": st.state, "since": st.since, "reason": st.reason})
    return {
        "landed": landed,
        "repo": str(snap.main_checkout or paths.common_dir),
        "bare": paths.bare,
        "head": None
        if head is None
        else {
            "branch": head.branch,
            "sha": head.sha,
            "detached": head.detached,
            "operation": head.operation,
            "index_locked": head.index_locked,
        },
        "worktrees": [w.to_json() for w in snap.worktrees],
        "branches": [b.to_json() for b in snap.branches],
        "stashes": [s.to_json() for s in snap.stashes],
        "agents": agents,
    }


def _age(ts: int) -> str:
    d = max(0, int(time.time()) - ts)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if d >= size:
            return f"{d // size}{unit} ago"
    return f"{d}s ago"


def watch_states(paths: Any, plan: Plan, interval: float = 0.5) -> int:
    """``status --watch --json``: one JSON line per state change, until interrupted."""
    last: dict[str, str] = {}
    try:
        while True:
            for a in status_data(paths, plan)["agents"]:
                key = f"{a.get('state')}\0{a.get('reason')}"
                if last.get(a["name"]) != key:
                    last[a["name"]] = key
                    print(
                        json.dumps(
                            {
                                "agent": a["name"],
                                "state": a.get("state"),
                                "since": a.get("since"),
                                "reason": a.get("reason"),
                            },
                            ensure_ascii=False,
                        ),
                        flush=True,
                    )
            time.sleep(interval)
    except KeyboardInterrupt:
        return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    paths, plan = _load(args.repo, args.plan, required=False)
    if args.watch:
        return watch_states(paths, plan)
    data = status_data(paths, plan)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return EXIT_OK
    h = data["head"]
    print(f"repository  {data['repo']}{' (bare)' if data['bare'] else ''}")
    if h:
        where = f"detached at {(h['sha'] or '')[:10]}" if h["detached"] else h["branch"]
        extra = f", {h['operation']} in progress" if h["operation"] else ""
        lock = ", index.lock held" if h["index_locked"] else ""
        print(f"HEAD        {where}{extra}{lock}")
    print(f"worktrees   {len(data['worktrees'])}")
    for w in data["worktrees"]:
        flags = [f"dirty {w['dirty']}" if w["dirty"] else "clean"]
        if w["locked"]:
            flags.append(f"locked{': ' + w['locked_reason'] if w['locked_reason'] else ''}")
        if w["prunable"]:
            flags.append("prunable")
        print(f"  {w['path']}  [{w['branch'] or 'detached'}]  {', '.join(flags)}")
    print(f"branches    {len(data['branches'])}")
    for b in data["branches"][:50]:
        merged = "merged" if b["merged"] else "unmerged" if b["merged"] is False else ""
        print(f"  {b['name']}  {b['sha'][:10]}  {_age(b['date'])}  {merged}  {b['subject'][:60]}")
    if len(data["branches"]) > 50:
        print(f"  ... {len(data['branches']) - 50} more")
    print(f"stashes     {len(data['stashes'])}")
    for s in data["stashes"][:50]:
        extra = f" ({s['untracked']} untracked)" if s.get("untracked") else ""
        print(f"  stash@{{{s['index']}}}  {s['sha'][:10]}  {s['files']} files{extra}  {s['message'][:70]}")
    print(f"agents      {len(data['agents'])}")
    for a in data["agents"]:
        pid = f"  pid {a['pid']}" if a["pid"] else ""
        state = f"  {a['state']}" + (f" ({a['reason']})" if a.get("reason") else "") if a.get("state") else ""
        print(f"  {a['name']}  {a['worktree']}  [{a['branch'] or '-'}]{pid}{state}")
    return EXIT_OK


def _before_textual() -> None:
    """Before Textual is imported: up to 120 frames a second instead of its 60.  Frames are drawn
    only when something changed (and the panes' redraws are paced anyway), so this costs nothing
    idle; it shortens every wait for the next frame, and opening the palette takes three of them
    (docs/MEASURED.md, "frame rate").  TEXTUAL_FPS still wins.

    And no garbage collection until the collector pacer takes it over after the first frame
    (``tui/collector.py``, which collects and freezes the start-up heap once, then turns it back
    on): importing Textual and building the first screen allocate the ~140,000 objects that live
    as long as the process, and Python's collections scanned them again and again on the way
    (docs/MEASURED.md, "start-up without collections")."""
    import gc

    os.environ.setdefault("TEXTUAL_FPS", "120")
    gc.disable()


def cmd_tui(args: argparse.Namespace, *, recover: bool = False) -> int:
    from agenttui.core.dispatch.planfile import find_plan

    if recover:  # (the recovery screen draws no plan: the supervisor reads it when first shown)
        paths = gitrepo.open_repo(args.repo)
    else:  # a plan that does not parse is bad input: one line, exit 2, before any screen
        paths, _plan = _load(args.repo, args.plan, required=False)
    if paths.bare:
        raise AgentTuiError(f"{paths.common_dir}: is a bare repository: run agenttui in a checkout")
    _before_textual()
    from agenttui.tui.run import run_app

    plan_path = find_plan(paths.toplevel, args.plan)
    return run_app(paths, plan_path, recover=recover)


def cmd_demo(args: argparse.Namespace) -> int:
    from agenttui.demo import make_demo

    if args.unsafe and not args.incident:
        raise AgentTuiError("--unsafe exists only to replay the incident: use it with --incident")
    path = make_demo(Path(args.path) if args.path else None, seconds=args.seconds, incident=args.incident)
    if args.no_tui:
        print(path)
        return EXIT_OK
    if args.unsafe:
        print(
            "agenttui: WARNING: --unsafe turns the isolation gate OFF for this demo; f launches four "
            "agents in one shared checkout, exactly the incident agenttui exists to prevent.",
            file=sys.stderr,
        )
    paths = gitrepo.open_repo(path)
    _before_textual()
    from agenttui.tui.run import run_app

    return run_app(paths, path / "agenttui.toml", unsafe_demo=args.unsafe)


class _Shown:
    """stdout for the commands that print repository text: every control character (ESC, C1, BEL, CR,
    bidirectional overrides) written as a visible escape before it reaches the terminal, whichever
    line printed it — ``\\u001b`` in JSON (valid there), ``\\x1b`` otherwise.  Newlines and tabs pass."""

    def __init__(self, inner: Any, json_mode: bool) -> None:
        self.inner, self.json_mode = inner, json_mode

    def _one(self, c: str) -> str:
        if c.isprintable() or c in "\n\t":
            return c
        if not self.json_mode:
            return repr(c)[1:-1]
        n = ord(c)
        if n > 0xFFFF:  # (a JSON escape is UTF-16: a surrogate pair)
            n -= 0x10000
            return f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}"
        return f"\\u{n:04x}"

    def write(self, text: str) -> int:
        if not text.isprintable():
            text = "".join(self._one(c) for c in text)
        return int(self.inner.write(text))

    def flush(self) -> None:
        self.inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if shutil.which("git") is None and not {"-h", "--help", "--version"} & set(argv[:2]):
        print("agenttui: error: git is not on PATH: install git (2.38 or newer) or fix PATH", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if not argv or (argv[0] not in COMMAND_HELP and argv[0] not in ("-h", "--help", "--version")):
            argv = ["open", *argv]  # `agenttui [REPO]`: the supervisor
        args = _parser().parse_args(argv)
        _settle_repo(args)
        if args.func not in (cmd_tui, cmd_demo, _hook) and not isinstance(sys.stdout, _Shown) and argv[0] != "recover":
            sys.stdout = _Shown(sys.stdout, bool(args.json))  # type: ignore[assignment]
        return int(args.func(args))
    except AgentTuiError as exc:
        print(f"agenttui: error: {shown(exc.message)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return exitcodes.INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except RecursionError:  # input nested beyond reason (a plan, a settings file)
        print("agenttui: error: input is nested too deeply", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # a path the system refuses (a name part over 255 bytes, ...): bad input
        where = f"{shown(exc.filename)}: " if exc.filename else ""
        print(f"agenttui: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # never a traceback for the user; AGENTTUI_DEBUG=1 shows it
        if os.environ.get("AGENTTUI_DEBUG"):
            raise
        print(f"agenttui: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return exitcodes.CRASH
