"""The two header lines: agents, HEAD, plan, repository; guard, gate, Claude Code.

Rendered from state the screen already holds (never git).  Every value goes in as a template
variable, so it is shown literally (see literal.py)."""

from __future__ import annotations

from agenttui.core.dispatch.supervisor import Supervisor
from agenttui.core.git.models import HeadState
from agenttui.core.guard.events import Coverage
from agenttui.tui.format import short_path

Line = tuple[str, str, dict[str, object]]  # (selector, template, values)


def header_lines(
    sup: Supervisor,
    head: HeadState | None,
    *,
    armed: bool,
    coverage: Coverage | None,
    claude: str | None,
    unsafe_demo: bool,
    attention: dict[str, int] | None = None,
) -> list[Line]:
    c = sup.gate.confirmation
    if unsafe_demo:
        gate = "[b reverse $error] UNSAFE INCIDENT DEMO: the isolation gate is OFF — f replays the incident [/]"
    elif c is not None:
        gate = "[b $success]$sentence[/]"
    elif sup.gate.revoked_reason:
        gate = "[b $warning]not announced[/] [dim](revoked: $revoked)[/]"
    else:
        gate = "[b $warning]not announced[/]"
    running, exited = sup.counts()
    words = {"needs-input": "need input", "failed": "failed", "done": "done", "working": "working", "idle": "idle"}
    att = " · ".join(
        f"{n} {words[s]}"
        for s in ("needs-input", "failed", "done", "working", "idle")
        if (n := (attention or {}).get(s))
    )
    top = (
        "#header",
        "[b]agenttui[/b]  [dim]agents[/] $running running · $exited exited  "
        + ("[b $warning]$attention[/]  " if att else "")
        + "[dim]on[/] $branch  [dim]plan[/] $plan  [dim]repo[/] $repo",
        {
            "attention": att,
            "running": running,
            "exited": exited,
            "branch": head.describe if head else "-",
            "plan": sup.plan_path.name if sup.plan_path else "no plan",
            "repo": short_path(sup.main_checkout or sup.paths.common_dir),
        },
    )
    guard = "[b $error]armed[/]" if armed else "[dim]disarmed[/]"
    extra = ""
    if claude:
        style = "$error" if "denied" in claude else "$success"
        extra = f"  [dim]claude[/] [{style}]$claude[/]"
    degraded = coverage is not None and coverage.degraded and armed
    if degraded:
        guard += " [b $warning]($coverage)[/]"
    values: dict[str, object] = {
        "sentence": c.sentence if c else "",
        "revoked": sup.gate.revoked_reason or "",
        "claude": claude or "",
        "coverage": coverage.describe() if degraded and coverage else "",
    }
    return [top, ("#gate", f"[dim]guard[/] {guard}  [dim]gate[/] {gate}{extra}", values)]
