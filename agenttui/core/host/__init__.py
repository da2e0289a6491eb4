"""The machine agenttui runs on: processes (``/proc`` and psutil, :mod:`.procs`), tmux
(:mod:`.tmux`), the kernel's inotify (:mod:`.inotify`), and a shell in a worktree (:mod:`.shell`)."""
