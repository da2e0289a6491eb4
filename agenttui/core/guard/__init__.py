"""The main checkout and the agents' worktrees, guarded; who did what, recorded.

* :mod:`.main_checkout` — the guard: every unexpected mutation of the main checkout, in words;
* :mod:`.events` — the guard's event loop, its git reads and its watch coverage;
* :mod:`.reading` — a reading of the main checkout's git state and what changed between two;
* :mod:`.alerts` — what the guard says; :mod:`.ledger` — the record that loses nothing;
* :mod:`.actors` — who did it: the process behind a git mutation, caught while it runs;
* :mod:`.worktrees` — agent worktrees kept: snapshots after bursts, threats named;
* :mod:`.threats` — one process judged: does it delete or move an agent's worktree?;
* :mod:`.snapshots` — ``refs/agenttui/snap/<agent>/<ms>``, restorable in one step;
* :mod:`.escapes` — agents caught acting outside their worktree, marked for the hooks.
"""
