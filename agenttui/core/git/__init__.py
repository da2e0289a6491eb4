"""Git: :mod:`.cmd` (the one place agenttui runs ``git``), :mod:`.repo` (the repository model, one
porcelain call per listing), :mod:`.models` (frozen snapshots of git state), :mod:`.reflog`
(reading reflogs, files and reftable), :mod:`.objects` (commits, trees and blobs read through
GitPython's persistent ``cat-file``)."""
