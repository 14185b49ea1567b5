// Project health at a glance: per environment and category, risky and stale features,
// upcoming schedule transitions, what waits for approval, and recent activity.
import {
  Badge,
  Card,
  Grid,
  Group,
  SimpleGrid,
  Stack,
  Table,
  Text,
  ThemeIcon,
  Title,
} from "@mantine/core";
import { IconAlertTriangle, IconCircleCheck, IconCircleX } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { PageHeader } from "../../components/PageHeader";
import { ErrorState, LoadingRows } from "../../components/states";
import { timeAgo } from "../../components/time";
import { useProject } from "../../hooks/queries";

const HEALTH = {
  green: { color: "teal", icon: IconCircleCheck, label: "healthy" },
  yellow: { color: "yellow", icon: IconAlertTriangle, label: "degraded" },
  red: { color: "red", icon: IconCircleX, label: "failing" },
} as const;

export function DashboardPage() {
  const { projectId: pid = "" } = useParams();
  const project = useProject(pid);
  const dash = useQuery({
    queryKey: ["dashboard", pid],
    refetchInterval: 30_000,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/dashboard", {
          params: { path: { project_id: pid } },
        }),
      ),
  });
  const header = (
    <PageHeader
      title="Dashboard"
      description="Health, risk and what happens next in this project."
      crumbs={[{ label: "Projects", to: "/" }, { label: project.data?.name ?? "…" }]}
    />
  );
  if (dash.isPending)
    return (
      <>
        {header}
        <LoadingRows rows={6} />
      </>
    );
  if (dash.error)
    return (
      <>
        {header}
        <ErrorState error={dash.error} onRetry={() => void dash.refetch()} />
      </>
    );
  const d = dash.data;
  return (
    <>
      {header}
      <SimpleGrid
        cols={{ base: 1, sm: 2, lg: Math.min(4, Math.max(1, d.environments.length)) }}
        mb="lg"
      >
        {d.environments.map((e) => {
          const h = HEALTH[e.health];
          return (
            <Card
              key={e.environment_id}
              withBorder
              radius="md"
              padding="md"
              aria-label={`Health of ${e.environment_key}`}
            >
              <Group justify="space-between">
                <Text fw={700} className="mono">
                  {e.environment_key}
                </Text>
                <ThemeIcon
                  color={h.color}
                  variant="light"
                  radius="xl"
                  role="img"
                  aria-label={h.label}
                >
                  <h.icon size={18} />
                </ThemeIcon>
              </Group>
              <Text size="xl" fw={700} mt="xs">
                {e.enabled}
                <Text span size="sm" c="dimmed" fw={400}>
                  {" "}
                  of {e.total} on
                </Text>
              </Text>
              <Group gap={6} mt={6}>
                {e.failing > 0 && (
                  <Badge color="red" variant="light">
                    {e.failing} failing
                  </Badge>
                )}
                {e.degraded > 0 && (
                  <Badge color="yellow" variant="light">
                    {e.degraded} degraded
                  </Badge>
                )}
                {e.scheduled > 0 && (
                  <Badge color="indigo" variant="light">
                    {e.scheduled} scheduled
                  </Badge>
                )}
                {e.guarded > 0 && (
                  <Badge color="orange" variant="light">
                    {e.guarded} guarded
                  </Badge>
                )}
                {e.pending > 0 && <Badge color="orange">{e.pending} pending</Badge>}
              </Group>
            </Card>
          );
        })}
      </SimpleGrid>
      <Grid gutter="lg">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Stack>
            <Card withBorder radius="md" padding="lg">
              <Title order={2} size="h4" mb="sm">
                Risky features
              </Title>
              {d.risky_features.length === 0 ? (
                <Text size="sm" c="dimmed">
                  Nothing looks risky right now.
                </Text>
              ) : (
                <Table aria-label="Risky features">
                  <Table.Tbody>
                    {d.risky_features.map((f) => (
                      <Table.Tr key={f.feature_id}>
                        <Table.Td>
                          <Text
                            component={Link}
                            to={`/projects/${pid}/features/${f.feature_id}`}
                            fw={600}
                            size="sm"
                          >
                            {f.name}
                          </Text>
                          <Text className="mono" c="dimmed">
                            {f.feature_key}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Group gap={4}>
                            {f.reasons.map((r) => (
                              <Badge key={r} size="sm" color="orange" variant="light">
                                {r}
                              </Badge>
                            ))}
                          </Group>
                        </Table.Td>
                        <Table.Td>
                          <Badge variant="outline" color="red">
                            risk {f.score}
                          </Badge>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </Card>
            <Card withBorder radius="md" padding="lg">
              <Title order={2} size="h4" mb="sm">
                By category
              </Title>
              <Table aria-label="Health by category">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Category</Table.Th>
                    <Table.Th>Features</Table.Th>
                    <Table.Th>On</Table.Th>
                    <Table.Th>Health</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {d.categories.map((c) => (
                    <Table.Tr key={c.slug}>
                      <Table.Td>{c.name}</Table.Td>
                      <Table.Td>{c.total}</Table.Td>
                      <Table.Td>{c.enabled}</Table.Td>
                      <Table.Td>
                        <Badge color={HEALTH[c.health].color} variant="light">
                          {HEALTH[c.health].label}
                        </Badge>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Card>
            <Card withBorder radius="md" padding="lg">
              <Title order={2} size="h4" mb="sm">
                Recent activity
              </Title>
              {d.recent_activity.length === 0 ? (
                <Text size="sm" c="dimmed">
                  No activity yet.
                </Text>
              ) : (
                <Stack gap={6}>
                  {d.recent_activity.map((a, i) => (
                    <Text key={a.request_id ?? i} size="sm">
                      <b>{a.username || a.actor}</b> made {a.count} change{a.count === 1 ? "" : "s"}{" "}
                      (
                      {a.entries
                        .map((e) => `${e.action} ${e.entity}`)
                        .slice(0, 3)
                        .join(", ")}
                      ) ·{" "}
                      <Text span c="dimmed" size="xs">
                        {timeAgo(a.at)}
                      </Text>
                    </Text>
                  ))}
                  <Text component={Link} to={`/projects/${pid}/history`} size="sm">
                    Full history →
                  </Text>
                </Stack>
              )}
            </Card>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Stack>
            <Card withBorder radius="md" padding="lg">
              <Title order={2} size="h4" mb="sm">
                Waiting for approval
              </Title>
              {d.pending_approvals.total === 0 ? (
                <Text size="sm" c="dimmed">
                  Nothing waits.
                </Text>
              ) : (
                <Stack gap={6}>
                  {d.pending_approvals.items.map((c) => (
                    <Text key={c.id} size="sm">
                      {c.summary}{" "}
                      <Text span c="dimmed" size="xs">
                        by {c.requested_by}
                      </Text>
                    </Text>
                  ))}
                  <Text component={Link} to={`/projects/${pid}/changes`} size="sm">
                    Review {d.pending_approvals.total} →
                  </Text>
                </Stack>
              )}
            </Card>
            <Card withBorder radius="md" padding="lg">
              <Title order={2} size="h4" mb="sm">
                Upcoming transitions
              </Title>
              {d.upcoming_transitions.length === 0 ? (
                <Text size="sm" c="dimmed">
                  No schedule changes anything soon.
                </Text>
              ) : (
                <Stack gap={6}>
                  {d.upcoming_transitions.map((u) => (
                    <Group
                      key={`${u.feature_id}-${u.environment_key}-${u.at}`}
                      justify="space-between"
                    >
                      <Text size="sm">
                        <span className="mono">{u.feature_key}</span> turns{" "}
                        <b>{u.enabled ? "on" : "off"}</b> in {u.environment_key}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {timeAgo(u.at)}
                      </Text>
                    </Group>
                  ))}
                </Stack>
              )}
            </Card>
            <Card withBorder radius="md" padding="lg">
              <Title order={2} size="h4" mb="xs">
                Stale features
              </Title>
              <Text size="sm">
                {d.stale_features === 0
                  ? "None"
                  : `${d.stale_features} feature${d.stale_features === 1 ? "" : "s"}`}{" "}
                unchanged and fully on or off for {d.stale_after_days} days.
              </Text>
              {d.stale_features > 0 && (
                <Text component={Link} to={`/projects/${pid}/features`} size="sm">
                  Review in the features list →
                </Text>
              )}
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
    </>
  );
}
