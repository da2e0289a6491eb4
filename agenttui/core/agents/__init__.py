"""What the panes show of each agent.

* :mod:`.sampler` — the periodic sample (process stats, git state, tmux tails, the gate's facts);
* :mod:`.state` — working / needs-input / idle / done / failed and attention, from hooks and titles;
* :mod:`.activity` — file activity in agent worktrees (watchfiles);
* :mod:`.overlap` — two agents changing the same path;
* :mod:`.notify` — notifications on the edges of agent state.
"""
