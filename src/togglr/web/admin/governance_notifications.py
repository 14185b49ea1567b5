"""Notification channels of a project, their delivery history, and the user's in-app inbox."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from togglr.web.admin.governance_deps import Gov
from togglr.web.auth import CurrentPrincipal
from togglr.web.schemas_notifications import (
    ChannelCreate,
    ChannelRead,
    ChannelsRead,
    ChannelUpdate,
    InboxRead,
    MessagePage,
    MessageRead,
    ReadAllRead,
    UserNotificationRead,
)

router = APIRouter(tags=["notifications"])
CHANNELS = "/projects/{project_id}/notification-channels"


@router.post(CHANNELS, status_code=201)
async def create_channel(
    project_id: str, body: ChannelCreate, principal: CurrentPrincipal, gov: Gov
) -> ChannelRead:
    channel = await gov.notifications.create_channel(
        principal,
        project_id,
        environment_key=body.environment_key,
        name=body.name,
        channel_type=body.type,
        config=body.config,
        triggers=list(body.triggers) if body.triggers is not None else None,
        enabled=body.enabled,
    )
    return ChannelRead.of(channel)


@router.get(CHANNELS)
async def list_channels(
    project_id: str,
    principal: CurrentPrincipal,
    gov: Gov,
    environment_key: str | None = Query(None, max_length=20),
) -> ChannelsRead:
    channels = await gov.notifications.list_channels(principal, project_id, environment_key)
    return ChannelsRead(items=[ChannelRead.of(c) for c in channels])


@router.get(CHANNELS + "/{channel_id}")
async def get_channel(
    project_id: str, channel_id: str, principal: CurrentPrincipal, gov: Gov
) -> ChannelRead:
    return ChannelRead.of(await gov.notifications.get_channel(principal, project_id, channel_id))


@router.patch(CHANNELS + "/{channel_id}")
async def update_channel(
    project_id: str, channel_id: str, body: ChannelUpdate, principal: CurrentPrincipal, gov: Gov
) -> ChannelRead:
    changes = body.model_dump(exclude_unset=True)
    return ChannelRead.of(
        await gov.notifications.update_channel(principal, project_id, channel_id, changes)
    )


@router.delete(CHANNELS + "/{channel_id}", status_code=204)
async def delete_channel(
    project_id: str, channel_id: str, principal: CurrentPrincipal, gov: Gov
) -> Response:
    await gov.notifications.delete_channel(principal, project_id, channel_id)
    return Response(status_code=204)


@router.post(CHANNELS + "/{channel_id}/test")
async def test_channel(
    project_id: str, channel_id: str, principal: CurrentPrincipal, gov: Gov
) -> MessageRead:
    """Send a test message now; `status` says whether the receiver took it, `last_error` why not."""
    return MessageRead.of(await gov.notifications.send_test(principal, project_id, channel_id))


@router.get("/projects/{project_id}/notification-messages")
async def list_messages(
    project_id: str,
    principal: CurrentPrincipal,
    gov: Gov,
    channel_id: str | None = Query(None, max_length=36),
    status: str | None = Query(None, pattern="^(pending|sent|failed)$"),
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> MessagePage:
    result = await gov.notifications.list_messages(
        principal, project_id, channel_id=channel_id, status=status, page=page, per_page=per_page
    )
    return MessagePage(
        items=[MessageRead.of(m) for m in result.items],
        total=result.total,
        page=page,
        per_page=per_page,
    )


@router.get("/users/me/notifications")
async def my_notifications(
    principal: CurrentPrincipal,
    gov: Gov,
    unread_only: bool = False,
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> InboxRead:
    inbox = await gov.notifications.inbox(
        principal, unread_only=unread_only, page=page, per_page=per_page
    )
    return InboxRead(
        items=[UserNotificationRead.of(n) for n in inbox.items],
        total=inbox.total,
        unread=inbox.unread,
        page=page,
        per_page=per_page,
    )


@router.post("/users/me/notifications/read-all")
async def read_all(principal: CurrentPrincipal, gov: Gov) -> ReadAllRead:
    return ReadAllRead(updated=await gov.notifications.mark_all_read(principal))


@router.post("/users/me/notifications/{notification_id}/read")
async def read_one(
    notification_id: str, principal: CurrentPrincipal, gov: Gov
) -> UserNotificationRead:
    return UserNotificationRead.of(await gov.notifications.mark_read(principal, notification_id))
