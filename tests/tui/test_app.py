"""The App's one job besides wiring: no worker dies silently, and a crash says where its traceback is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agenttui.core.git import repo as gitrepo
from agenttui.core.journal import read as read_journal
from agenttui.tui.app import AgentTuiApp
from tests.support.repos import make_repo, write_plan
from tests.support.ui import SLEEPERS, make_app, until


async def test_a_failing_worker_is_shown_journaled_and_rearmed(repo: Path) -> None:
    write_plan(repo, SLEEPERS)
    app = make_app(repo, live=True)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = app.main_screen.grid
        real = grid.sampler.sample
        calls: list[int] = []

        def flaky(jobs: Any, git_round: bool, generation: int = 0) -> Any:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("sampler broke once")
            return real(jobs, git_round, generation)

        grid.sampler.sample = flaky  # type: ignore[method-assign]
        await until(pilot, lambda: app.worker_failures, timeout=10, what="the failure")
        assert app.worker_failures[0] == "background job 'sample' failed: RuntimeError: sampler broke once"
        # re-armed: the sampler runs again (control: without the handler the pane stats stop for good)
        await until(pilot, lambda: len(calls) >= 2, timeout=10, what="the sampler re-armed")
    records = [r for r in read_journal(gitrepo.open_repo(repo)) if r["event"] == "worker-failed"]
    assert records and records[0]["group"] == "sample" and "sampler broke once" in records[0]["error"]
    log = Path(records[0]["log"])
    assert "RuntimeError: sampler broke once" in log.read_text()


async def test_a_worker_without_a_rearm_is_still_reported(repo: Path) -> None:
    app = make_app(repo)
    async with app.run_test(size=(120, 40)) as pilot:

        def boom() -> None:
            raise ValueError("no owner loop")

        app.run_worker(boom, thread=True, group="adhoc", exit_on_error=False)
        await until(pilot, lambda: app.worker_failures, what="the failure")
        assert app.worker_failures == ["background job 'adhoc' failed: ValueError: no owner loop"]


def test_app_is_wiring_only() -> None:
    import inspect

    import agenttui.tui.app as module

    lines = inspect.getsource(module).count("\n")
    assert lines <= 150, f"app.py has {lines} lines: move the computing into core, flows into screens"
    assert not [m for m in vars(AgentTuiApp) if m.startswith("action_")], "actions belong to screens"


class _Crashing(AgentTuiApp):
    def on_mount(self) -> None:  # type: ignore[override]
        raise RuntimeError("boom [/] on mount")


def test_a_crash_exits_nonzero_and_names_its_log(tmp_path: Path) -> None:
    paths = gitrepo.open_repo(make_repo(tmp_path / "repo"))
    app = _Crashing(paths, None, live=False)
    app.run(headless=True, size=(80, 24))
    assert app.return_code == 1  # Textual's own code; tui.run.run_app turns it into EXIT_CRASH (3)
    assert app.crash_log == paths.agenttui_dir / "crash.log"
    log = app.crash_log.read_text()
    assert "RuntimeError: boom [/] on mount" in log and "Traceback" in log
    assert app.crash_line == "RuntimeError: boom [/] on mount"


async def test_recover_then_main_then_recovery_again(repo: Path) -> None:
    """`agenttui recover` starts on the recovery screen; Esc shows the supervisor, r recovery again
    (once crashed with DuplicateIds), Esc the supervisor — the same one, with its workers."""
    from agenttui.tui.screens.main import MainScreen
    from agenttui.tui.screens.recovery import RecoveryScreen

    app = AgentTuiApp(gitrepo.open_repo(repo), None, recover=True, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, RecoveryScreen) and app.screen.loaded, what="recovery")
        assert not any(isinstance(s, MainScreen) for s in app.screen_stack)  # control: not built at start
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen")
        main = app.screen
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, RecoveryScreen) and app.screen.loaded, what="recovery")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main, what="the same main screen")
        assert app.main_screen is main
