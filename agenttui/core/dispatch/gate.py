"""The fire gate: nothing dispatches without a confirmed verdict for exactly the current plan.

The UI's key binding checks :meth:`Gate.is_open`; the dispatcher calls :meth:`Gate.require`, so
calling ``fire`` directly cannot get around the announcement.
"""

from __future__ import annotations

from dataclasses import dataclass

from agenttui.core.dispatch.check import Verdict
from agenttui.core.errors import GateClosed


@dataclass(frozen=True)
class Confirmation:
    verdict: Verdict
    serial: bool  # True: confirmed as "serialize in the main checkout"

    @property
    def sentence(self) -> str:
        if self.serial:
            n = len(self.verdict.targets)
            return f"Serialized: {n} dispatches run one after another in the main checkout"
        return self.verdict.announcement or ""


class Gate:
    def __init__(self) -> None:
        self._confirmed: Confirmation | None = None
        self.revoked_reason: str | None = None

    @property
    def confirmation(self) -> Confirmation | None:
        return self._confirmed

    def confirm(self, verdict: Verdict, *, serial: bool = False) -> Confirmation:
        if serial:
            if not (verdict.ok or verdict.can_serialize):
                raise GateClosed("cannot serialize: the plan has problems besides isolation")
        elif not verdict.ok:
            raise GateClosed("cannot confirm: the isolation check failed")
        self._confirmed = Confirmation(verdict, serial)
        self.revoked_reason = None
        return self._confirmed

    def revoke(self, reason: str) -> bool:
        """Drop the confirmation; True when there was one."""
        had = self._confirmed is not None
        self._confirmed = None
        if had:
            self.revoked_reason = reason
        return had

    def is_open(self, plan_fingerprint: str, facts_fingerprint: str | None = None) -> bool:
        c = self._confirmed
        if c is None or c.verdict.plan_fingerprint != plan_fingerprint:
            return False
        return facts_fingerprint is None or c.verdict.facts_fingerprint == facts_fingerprint

    def require(self, plan_fingerprint: str, facts_fingerprint: str) -> Confirmation:
        c = self._confirmed
        if c is None:
            raise GateClosed("nothing fires before the announcement is confirmed (press a)")
        if c.verdict.plan_fingerprint != plan_fingerprint:
            self.revoke("the plan changed after the announcement")
            raise GateClosed("the plan changed after the announcement: announce again")
        if c.verdict.facts_fingerprint != facts_fingerprint:
            self.revoke("the repository changed after the announcement")
            raise GateClosed("the repository changed after the announcement: announce again")
        return c
