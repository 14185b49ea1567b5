"""The dependency that hands governance routes their services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from togglr.services.governance import Governance
from togglr.web.auth import Svc


def governance(svc: Svc) -> Governance:
    found: Governance = svc.extra["governance"]
    return found


Gov = Annotated[Governance, Depends(governance)]
