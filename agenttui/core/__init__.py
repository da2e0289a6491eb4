"""agenttui's core: everything that computes.  Never imports Textual.

Rooms, top to bottom (a room imports only rooms below it; import-linter checks this in CI):

* ``landing/`` — review an agent's work, predict conflicts, land it (ff/squash/rebase/merge).
* ``agents/`` — what the panes show: periodic sampling, agent state and attention, file activity,
  overlaps between agents, notifications.
* ``dispatch/`` — the plan, the isolation check and its announcement, the gate, launching and
  supervising agents, Claude Code's own dispatches seen through its hooks.
* ``guard/`` — the main checkout and the agents' worktrees guarded: readings and what changed,
  alerts, the ledger, who did it (actors), threats to worktrees, worktree snapshots, escapes.
* ``recovery/`` — after an incident: the trash and restore, the timeline, the incident report,
  salvage into one branch per agent, stash and branch operations.
* ``clients/`` — what core knows of Claude Code, Codex CLI and Gemini CLI transcripts.
* ``host/`` — the machine: processes (``/proc``, psutil), tmux, inotify, opening a shell.
* ``journal`` — the append-only journal every room writes into.
* ``git/`` — the one git runner, the repository model (one porcelain call per listing), reflogs,
  object reads.
* ``errors`` — one-line errors meant for the user, exit codes, the text neutraliser.

Stdlib pieces that the hooks share (``.git`` reading, the shell reader, markers, safe file
writes) live beneath all of this in :mod:`agenttui.base`.
"""
