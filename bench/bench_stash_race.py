"""The stash race, randomized: agenttui drops a stash (the newest, or one below it) while another
process keeps pushing stashes; after each trial every pushed stash must still be a stash and only
the target gone.

    python bench/bench_stash_race.py [--trials 1000] [--naive]

``--naive`` drops with ``git stash drop stash@{n}`` from a list read just before (what git itself
offers): the control, which loses pushed stashes.  Prints counts; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agenttui.core.git import repo as gitrepo
from agenttui.core.recovery import drop_stashes  # noqa: E402


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@b", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    ).stdout


def trial(root: Path, n: int, rng: random.Random, naive: bool) -> tuple[int, int]:
    """(stashes lost, wrong drops) of one trial."""
    r = root / f"t{n}"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    (r / "f").write_text("0\n")
    git(r, "add", "f")
    git(r, "commit", "-qm", "base")
    pusher_dir = root / f"p{n}"
    git(r, "worktree", "add", "-q", "--detach", str(pusher_dir))
    for i in range(rng.randint(1, 3)):
        (r / "f").write_text(f"mine {i}\n")
        git(r, "stash", "push", "-q", "-m", f"mine {i}")
    listing = git(r, "stash", "list", "--format=%H").split()
    index = rng.randrange(len(listing)) if rng.random() < 0.5 else 0
    target = listing[index]
    pushed: list[str] = []
    stop = threading.Event()

    def pusher() -> None:
        k = 0
        while not stop.is_set() and k < 6:
            (pusher_dir / "f").write_text(f"agent {k} {time.time()}\n")
            out = subprocess.run(
                ["git", "-c", "user.name=a", "-c", "user.email=a@a", "stash", "push", "-q", "-m", f"agent {k}"],
                cwd=pusher_dir,
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode == 0:
                top = git(pusher_dir, "rev-parse", "stash@{0}").strip()
                pushed.append(top)
            k += 1
            time.sleep(rng.random() * 0.004)

    t = threading.Thread(target=pusher)
    t.start()
    time.sleep(rng.random() * 0.01)
    if naive:
        now = git(r, "stash", "list", "--format=%H").split()
        if target in now:
            git(r, "stash", "drop", "-q", f"stash@{{{now.index(target)}}}")
    else:
        paths = gitrepo.open_repo(r)
        drop_stashes(paths, [(index, target)])
    t.join()
    left = set(git(r, "stash", "list", "--format=%H").split())
    lost = sum(1 for s in pushed if s not in left) + sum(1 for s in listing if s != target and s not in left)
    return lost, int(target in left)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--naive", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    lost_trials = lost = kept = 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GIT_CONFIG_GLOBAL"] = str(Path(tmp) / "gitconfig")
        (Path(tmp) / "gitconfig").write_text("[user]\n\tname = b\n\temail = b@b\n")
        for n in range(args.trials):
            lo, kp = trial(Path(tmp), n, rng, args.naive)
            lost += lo
            lost_trials += lo > 0
            kept += kp
    what = "git stash drop stash@{n} (naive)" if args.naive else "agenttui drop_stashes"
    print(
        f"{what}: {args.trials} trials with a pusher in {time.perf_counter() - t0:.0f} s: "
        f"{lost_trials} trials lost a stash ({lost} stashes lost); target still there in {kept}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
