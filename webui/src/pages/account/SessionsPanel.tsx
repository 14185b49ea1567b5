// Where you are signed in, with a way to end any session.
import { Button, Card, Group, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import { timeAgo } from "../../components/time";

export function SessionsPanel() {
  const client = useQueryClient();
  const sessions = useQuery({
    queryKey: ["me", "sessions"],
    queryFn: async () => (await unwrap(api.GET("/api/v1/users/me/sessions"))).items,
  });
  const revoke = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.DELETE("/api/v1/users/me/sessions/{session_id}", {
          params: { path: { session_id: id } },
        }),
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["me", "sessions"] }),
  });
  return (
    <Card withBorder radius="md" padding="lg">
      <Title order={2} size="h4" mb="sm">
        Sessions
      </Title>
      <Stack gap="xs">
        {sessions.data?.map((s) => (
          <Group key={s.id} justify="space-between" wrap="nowrap">
            <div style={{ minWidth: 0, flex: 1 }}>
              <Text size="sm" lineClamp={1}>
                {s.user_agent || "Unknown browser"}
              </Text>
              <Text size="xs" c="dimmed">
                {s.ip} · active {timeAgo(s.last_active_at)}
              </Text>
            </div>
            <Button
              size="compact-xs"
              variant="subtle"
              color="red"
              onClick={() => revoke.mutate(s.id)}
            >
              End
            </Button>
          </Group>
        ))}
      </Stack>
    </Card>
  );
}
