"""Review and land agent work: :mod:`.review` (what NAME means, its diff, "is it integrated?"),
:mod:`.conflicts` (merge conflicts predicted in memory), :mod:`.land` (landing with nothing lost)."""
