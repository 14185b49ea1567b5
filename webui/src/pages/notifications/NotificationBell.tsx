// In-app notifications: a bell with the unread count and the latest messages.
import {
  ActionIcon,
  Button,
  Divider,
  Group,
  Indicator,
  Popover,
  ScrollArea,
  Stack,
  Text,
  UnstyledButton,
} from "@mantine/core";
import { IconBell } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { timeAgo } from "../../components/time";

export function NotificationBell() {
  const client = useQueryClient();
  const navigate = useNavigate();
  const inbox = useQuery({
    queryKey: ["notifications", "inbox"],
    refetchInterval: 60_000,
    queryFn: () =>
      unwrap(api.GET("/api/v1/users/me/notifications", { params: { query: { per_page: 20 } } })),
  });
  const readAll = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/users/me/notifications/read-all")),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["notifications"] }),
  });
  const readOne = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.POST("/api/v1/users/me/notifications/{notification_id}/read", {
          params: { path: { notification_id: id } },
        }),
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["notifications"] }),
  });
  const unread = inbox.data?.unread ?? 0;
  return (
    <Popover width={360} position="bottom-end" shadow="md" withinPortal>
      <Popover.Target>
        <ActionIcon
          variant="subtle"
          color="gray"
          size="lg"
          aria-label={`Notifications, ${unread} unread`}
        >
          <Indicator label={unread} size={16} disabled={unread === 0} color="red" offset={2}>
            <IconBell size={20} />
          </Indicator>
        </ActionIcon>
      </Popover.Target>
      <Popover.Dropdown p={0}>
        <Group justify="space-between" px="sm" py="xs">
          <Text fw={600} size="sm">
            Notifications
          </Text>
          {unread > 0 && (
            <Button size="compact-xs" variant="subtle" onClick={() => readAll.mutate()}>
              Mark all read
            </Button>
          )}
        </Group>
        <Divider />
        <ScrollArea.Autosize mah={380}>
          {(inbox.data?.items.length ?? 0) === 0 && (
            <Text size="sm" c="dimmed" p="md">
              You are all caught up.
            </Text>
          )}
          <Stack gap={0}>
            {inbox.data?.items.map((n) => (
              <UnstyledButton
                key={n.id}
                px="sm"
                py="xs"
                style={{
                  background: n.read ? undefined : "var(--mantine-color-indigo-0)",
                  borderBottom: "1px solid var(--mantine-color-gray-2)",
                }}
                onClick={() => {
                  if (!n.read) readOne.mutate(n.id);
                  if (n.project_id && n.type.includes("approval"))
                    navigate(`/projects/${n.project_id}/changes`);
                }}
              >
                <Text size="sm" fw={n.read ? 400 : 600}>
                  {n.title}
                </Text>
                <Text size="xs" c="dimmed" lineClamp={2}>
                  {n.body}
                </Text>
                <Text size="xs" c="dimmed">
                  {timeAgo(n.created_at)}
                </Text>
              </UnstyledButton>
            ))}
          </Stack>
        </ScrollArea.Autosize>
      </Popover.Dropdown>
    </Popover>
  );
}
