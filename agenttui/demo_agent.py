"""A scripted demo agent: really edits, creates and deletes files and commits, for a while."""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

CHAOS_STEPS = 14  # the incident's scripted moments (tests isolates itself at 6, docs gives up at 14)
WORDS = ["alpha", "beta", "gamma", "delta", "check", "token", "route", "cache", "parse", "render", "guard", "merge"]


def _git(*args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=demo agent",
            "-c",
            "user.email=agent@agenttui.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        capture_output=True,
        check=False,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="demo_agent")
    p.add_argument("--area", default="src")
    p.add_argument("--seconds", type=float, default=90.0)
    p.add_argument("--interval", type=float, default=0.4)
    p.add_argument("--chaos", action="store_true", help="incident replay: behave like agents sharing one checkout")
    args = p.parse_args(argv)
    if args.chaos:
        return chaos(args)
    name = os.environ.get("AGENTTUI_AGENT", "agent")
    rng = random.Random(name)
    area = Path(args.area)
    area.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    end = time.monotonic() + args.seconds
    step = 0
    print(f"{name}: starting in {Path.cwd()} on {args.area}", flush=True)
    while time.monotonic() < end:
        step += 1
        roll = rng.random()
        if roll < 0.45 or not made:
            f = area / f"{rng.choice(WORDS)}_{step}.py"
            f.write_text(f"# written by {name}, step {step}\nVALUE = {step}\n")
            made.append(f)
            print(f"{name}: created {f}", flush=True)
        elif roll < 0.8:
            f = rng.choice(made)
            with f.open("a") as fh:
                fh.write(f"VALUE_{step} = {rng.randint(0, 99)}\n")
            print(f"{name}: edited {f}", flush=True)
        else:
            f = made.pop(rng.randrange(len(made)))
            f.unlink(missing_ok=True)
            print(f"{name}: deleted {f}", flush=True)
        if step % 6 == 0:
            _git("add", "-A", str(area))
            _git("commit", "-q", "-m", f"{name}: step {step}")
            print(f"{name}: committed step {step}", flush=True)
        time.sleep(args.interval * (0.5 + rng.random()))
    _git("add", "-A", str(area))
    _git("commit", "-q", "-m", f"{name}: done")
    print(f"{name}: done after {step} steps", flush=True)
    return 0


def chaos(args: argparse.Namespace) -> int:
    """What four agents in one shared checkout did: switch branches, stash each other's work,
    give up with work uncommitted, isolate themselves in a temp dir."""
    import tempfile

    name = os.environ.get("AGENTTUI_AGENT", "agent")
    rng = random.Random(name + "-chaos")
    end = time.monotonic() + args.seconds
    step = 0
    area = Path(args.area)
    print(f"{name}: working in the shared checkout {Path.cwd()}", flush=True)
    while time.monotonic() < end or step < CHAOS_STEPS:  # every scripted moment, however slow the machine
        step += 1
        area.mkdir(parents=True, exist_ok=True)
        roll = rng.random()
        if name == "tests" and step == 6:
            tmp = Path(tempfile.mkdtemp(prefix=f"{name}-isolated-")) / "wt"
            _git("worktree", "add", "-q", "-b", f"{name}-isolated", str(tmp))
            print(f"{name}: others keep breaking my checkout, isolating myself in {tmp}", flush=True)
            os.chdir(tmp)
            area.mkdir(parents=True, exist_ok=True)
        elif name == "docs" and step == 14:
            (area / "half_done.md").write_text("# TODO: finish\n")
            print(f"{name}: giving up, leaving my work uncommitted", flush=True)
            return 1
        elif roll < 0.55:
            f = area / f"{rng.choice(WORDS)}_{name}.py"
            with f.open("a") as fh:
                fh.write(f"STEP_{step} = {step}\n")
            print(f"{name}: edited {f}", flush=True)
        elif roll < 0.67:
            _git("stash", "push", "-u", "-q", "-m", "others-work-again")  # -u: its edits are new files
            print(f"{name}: stashed everybody's changes (others-work-again)", flush=True)
        elif roll < 0.77:
            branch = f"tmp/{name}-{step}"
            _git("checkout", "-q", "-b", branch)
            print(f"{name}: switched the shared checkout to {branch}", flush=True)
        elif roll < 0.85:
            _git("checkout", "-q", "main")
            print(f"{name}: switched the shared checkout back to main", flush=True)
        else:
            _git("add", "-A", str(area))
            _git("commit", "-q", "-m", f"{name}: step {step}")
            print(f"{name}: committed whatever was staged", flush=True)
        time.sleep(args.interval * (0.5 + rng.random()))
    print(f"{name}: done after {step} steps", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
