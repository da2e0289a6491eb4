"""The shape of ``agenttui.toml``, declared once (msgspec: unknown keys refused, types and choices
checked, errors by key path).  What a schema cannot say — valid ref names, names used twice — is
checked by :func:`agenttui.core.dispatch.plan.parse_plan`, which imports this module at the first
parse: ``agenttui recover`` and the hooks never pay for msgspec."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec


class Settings(msgspec.Struct, forbid_unknown_fields=True):
    worktree_root: Annotated[str, msgspec.Meta(min_length=1)] | None = None
    branch_prefix: str = "agents/"
    agent_nice: Annotated[int, msgspec.Meta(ge=0, le=19)] = 5


class Guard(msgspec.Struct, forbid_unknown_fields=True):
    ignore: list[str] = msgspec.field(default_factory=list)


class Land(msgspec.Struct, forbid_unknown_fields=True):
    check: Annotated[list[str], msgspec.Meta(min_length=1)] | str | None = None


class Notify(msgspec.Struct, forbid_unknown_fields=True):
    command: Annotated[list[str], msgspec.Meta(min_length=1)] | None = None
    desktop: Literal["auto", "osc9", "osc777", "off"] = "auto"


class Agent(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1)]
    command: Annotated[list[str], msgspec.Meta(min_length=1)] | str
    writes: bool = True
    isolation: Literal["worktree", "none"] = "worktree"
    base: Annotated[str, msgspec.Meta(min_length=1)] = "HEAD"
    env: dict[str, str] = msgspec.field(default_factory=dict)
    branch: str | None = None
    worktree: Annotated[str, msgspec.Meta(min_length=1)] | None = None
    runner: Literal["process", "tmux"] = "process"
    client: Literal["claude-code", "codex", "gemini"] | None = None


class PlanFile(msgspec.Struct, forbid_unknown_fields=True):
    agent: list[Agent] = msgspec.field(default_factory=list)
    settings: Settings = msgspec.field(default_factory=Settings)
    guard: Guard = msgspec.field(default_factory=Guard)
    land: Land = msgspec.field(default_factory=Land)
    notify: Notify = msgspec.field(default_factory=Notify)
