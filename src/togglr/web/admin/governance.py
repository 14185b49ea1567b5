"""The governance routers.

A change to a guarded feature makes the service raise `ApprovalRequiredError` after storing the
pending change; `web/errors.py` answers it with 202 and the pending change.
"""

from __future__ import annotations

from fastapi import APIRouter

from togglr.web.admin import (
    governance_changes,
    governance_dashboard,
    governance_notifications,
    governance_schedules,
)


def routers() -> list[APIRouter]:
    return [
        governance_schedules.router,
        governance_changes.router,
        governance_notifications.router,
        governance_dashboard.router,
    ]
