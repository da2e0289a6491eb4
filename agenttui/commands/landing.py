"""`diff` and `land`: review and land agent work from the command line."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from typing import Any

from agenttui.base.exitcodes import OK as EXIT_OK
from agenttui.base.exitcodes import VIOLATIONS as EXIT_VIOLATIONS
from agenttui.core.dispatch.plan import load_plan
from agenttui.core.dispatch.planfile import find_plan
from agenttui.core.errors import AgentTuiError
from agenttui.core.git import repo as gitrepo


def cmd_diff(args: argparse.Namespace) -> int:
    from agenttui.core.landing.review import diff

    d = diff(gitrepo.open_repo(args.repo), args.name, args.into, patch=not args.stat and not args.json)
    if args.json:
        print(json.dumps(d.to_json(), ensure_ascii=False, indent=2))
        return EXIT_OK
    state = f"integrated ({d.integrated})" if d.integrated else "not integrated"
    print(f"{d.target.name}: {d.target.branch} against {d.base}: {d.ahead} ahead, {d.behind} behind, {state}")
    for f in d.files:
        counts = (
            "binary"
            if f.added is None and f.state != "untracked"
            else ("new" if f.state == "untracked" else f"+{f.added} -{f.removed}")
        )
        print(f"  {counts:>12}  {f.path}{'' if f.state == 'committed' else f'  ({f.state})'}")
    if d.patch:
        print(d.patch, end="")
    return EXIT_OK


def cmd_land(args: argparse.Namespace) -> int:
    from agenttui.core.landing.land import commit_worktree, land, plan_order
    from agenttui.core.landing.review import default_base, resolve

    paths = gitrepo.open_repo(args.repo)
    names = args.names
    mode = args.mode or "squash"
    base = args.into or default_base(paths)
    check: Any = args.check
    if check is None:
        with contextlib.suppress(AgentTuiError):
            plan_path = find_plan(paths.toplevel, None)
            if plan_path is not None:
                check = load_plan(plan_path).land_check or None
    targets = [resolve(paths, n) for n in names]
    if args.commit and args.yes:  # the agents' uncommitted work first, with the message given
        for t in targets:
            if t.worktree is not None and os.path.isdir(t.worktree) and gitrepo.status_entries(t.worktree):
                commit_worktree(paths, t.name, args.commit)
    order, conflicts = plan_order(paths, [t.branch for t in targets], base)
    by_branch = {t.branch: t.name for t in targets}
    if not args.yes:
        print(f"land into {base} ({mode}{', check: ' + str(check) if check else ''}), in this order:")
        for i, b in enumerate(order, 1):
            c = conflicts[b]
            print(f"  {i}. {by_branch[b]} ({b})" + (f" — conflicts in {', '.join(c[:5])}" if c else ""))
        print("nothing changed yet: run again with --yes")
        return EXIT_OK
    results = []
    for b in order:
        r = land(paths, by_branch[b], mode=mode, into=base, check=check, cleanup=not args.keep)
        results.append(r)
        if not args.json:
            print(("  " if r.ok else "  NOT LANDED: ") + r.message)
            for line in r.cleaned:
                print(f"    {line}")
            for f in r.conflicts:
                print(f"    conflict: {f}")
        if not r.ok:
            break
        rest = [x for x in order[order.index(b) + 1 :]]
        if rest and not args.json:  # predict again on the new base; say how to bring the rest up to it
            _, again = plan_order(paths, rest, base)
            for x in rest:
                t = next(t for t in targets if t.branch == x)
                how = f"git -C {t.worktree} rebase {base}" if t.worktree else f"agenttui land {x} --rebase"
                print(
                    f"    next: {by_branch[x]} "
                    + (
                        f"now conflicts in {', '.join(again[x][:3])}; rebase it: {how}"
                        if again[x]
                        else "lands cleanly on the new base"
                    )
                )
    rebased: list[dict[str, Any]] = []
    if results and all(r.ok for r in results):  # the others, offered a rebase on the new base (forecast first)
        from agenttui.core.landing.land import LandingError, rebase_forecast, rebase_onto

        for rb in rebase_forecast(paths, base):
            state = (
                f"cannot now: {rb.why_not}"
                if rb.why_not
                else f"would conflict in {', '.join(rb.conflicts[:5])}"
                if rb.conflicts
                else "rebases cleanly"
            )
            entry: dict[str, Any] = {
                "name": rb.name,
                "branch": rb.branch,
                "forecast": rb.conflicts,
                "why_not": rb.why_not,
                "rebased": False,
            }
            if args.rebase_rest and not rb.conflicts and not rb.why_not:
                try:
                    state = rebase_onto(paths, rb, base)
                    entry["rebased"] = True
                except LandingError as exc:
                    state = exc.message
            elif not args.rebase_rest and not rb.conflicts and not rb.why_not:
                state += f" (agenttui land --rebase-rest, or git -C {rb.worktree} rebase {base})"
            rebased.append(entry)
            if not args.json:
                print(f"  {rb.name} ({rb.branch}) on the new {base}: {state}")
    if args.json:
        print(
            json.dumps(
                {"order": [by_branch[b] for b in order], "landings": [r.to_json() for r in results], "others": rebased},
                ensure_ascii=False,
                indent=2,
            )
        )
    return EXIT_OK if results and all(r.ok for r in results) and len(results) == len(order) else EXIT_VIOLATIONS
