"""Shared fixtures: real git repositories in temp dirs, an isolated git config, deadlines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.repos import make_repo


@pytest.fixture(autouse=True, scope="session")
def _git_identity(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A private git config: tests never read or write the user's."""
    home = tmp_path_factory.mktemp("home")
    cfg = home / ".gitconfig"
    cfg.write_text(
        "[user]\n\tname = Test\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        "[core]\n\thooksPath = /dev/null\n"
    )
    os.environ["GIT_CONFIG_GLOBAL"] = str(cfg)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    os.environ.pop("TMUX", None)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")
