"""Exit codes of every agenttui command (README, "Exit codes"), in one place."""

OK = 0  # done; or nothing to say
VIOLATIONS = 1  # a verdict or a violation: the isolation check failed, an operation did not complete
BAD_INPUT = 2  # bad input: one line on stderr, never a traceback
CRASH = 3  # an internal error (AGENTTUI_DEBUG=1 shows the traceback)
INTERRUPTED = 130  # Ctrl-C
