"""The ground floor: stdlib-only pieces that both core and the hooks stand on.

* :mod:`.dotgit` — where a checkout's git lives, read from disk; the guard's marker files;
* :mod:`.shellparse` — shell command text into commands (``cd`` followed, ``sh -c`` opened);
* :mod:`.cmdtext` — what a command does to checkouts (targets, read-only, adds a worktree);
* :mod:`.safefile` — files written inside repositories, never through a planted symlink.
"""
