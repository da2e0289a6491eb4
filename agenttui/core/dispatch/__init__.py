"""Dispatch behind the announcement.

* :mod:`.plan` — ``agenttui.toml``, declared once as a schema (:mod:`.planfile` finds the file);
* :mod:`.check` — the isolation check and its announcement (pure verdict over gathered facts);
* :mod:`.gate` — nothing fires without a confirmed verdict for exactly the current plan;
* :mod:`.launcher` — the OS side of starting, signalling and stopping an agent;
* :mod:`.supervisor` — worktree + branch + process per agent, revoking the announcement;
* :mod:`.claude_code` — Claude Code's own dispatches, seen through the journal its hooks write.
"""
