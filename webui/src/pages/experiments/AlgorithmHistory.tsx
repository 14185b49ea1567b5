// Every algorithm that was attached to a feature in one environment, newest first: what ran
// when, with which settings, so results can be read against the right configuration.
import { Badge, Card, Code, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import { InlineError, LoadingRows } from "../../components/states";
import { formatDate } from "../../components/time";
import { ScrollRegion } from "../../components/ScrollRegion";

export function AlgorithmHistory({ featureId, env }: { featureId: string; env: string }) {
  const history = useQuery({
    queryKey: ["experiment", "history", featureId, env],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/features/{feature_id}/environments/{env_key}/algorithm/history", {
          params: { path: { feature_id: featureId, env_key: env } },
        }),
      ),
  });
  return (
    <Card withBorder radius="md" padding="lg" mt="lg">
      <Title order={2} size="h4" mb="sm">
        Algorithm history
      </Title>
      {history.isPending && <LoadingRows rows={2} />}
      {history.error && <InlineError error={history.error} />}
      {history.data && history.data.items.length === 0 && (
        <Text size="sm" c="dimmed">
          No algorithm was ever attached here.
        </Text>
      )}
      {history.data && history.data.items.length > 0 && (
        <ScrollRegion label="Algorithm history">
          <Table fz="sm" aria-label="Algorithm history" data-testid="algorithm-history">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Algorithm</Table.Th>
                <Table.Th>Attached</Table.Th>
                <Table.Th>Detached</Table.Th>
                <Table.Th>Settings</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {history.data.items.map((h) => (
                <Table.Tr key={h.id}>
                  <Table.Td>
                    <Text size="sm" fw={500} className="mono">
                      {h.algorithm}
                    </Text>
                    {h.current && (
                      <Badge size="xs" color="indigo" variant="light">
                        current
                      </Badge>
                    )}
                    {!h.enabled && (
                      <Badge size="xs" color="gray" variant="light">
                        paused
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {formatDate(h.created_at)}
                    <Text size="xs" c="dimmed">
                      by {h.created_by}
                    </Text>
                  </Table.Td>
                  <Table.Td>{h.detached_at ? formatDate(h.detached_at) : "—"}</Table.Td>
                  <Table.Td>
                    <Code fz="xs">{JSON.stringify(h.settings)}</Code>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollRegion>
      )}
    </Card>
  );
}
