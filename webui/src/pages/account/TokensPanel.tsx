// Personal API tokens for scripts and CI: scoped to one project and role, shown once.
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  Code,
  Group,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  Tooltip,
} from "@mantine/core";
import { IconTrash } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { InlineError } from "../../components/states";
import { timeAgo } from "../../components/time";
import { useProjects, useRoles } from "../../hooks/queries";

export function TokensPanel() {
  const client = useQueryClient();
  const projects = useProjects();
  const roles = useRoles();
  const tokens = useQuery({
    queryKey: ["me", "tokens"],
    queryFn: async () => (await unwrap(api.GET("/api/v1/users/me/tokens"))).items,
  });
  const [name, setName] = useState("");
  const [project, setProject] = useState<string | null>(null);
  const [role, setRole] = useState<string | null>("viewer");
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/users/me/tokens", {
          body: { name, project_id: project ?? "", role: role ?? "viewer", expires_at: null },
        }),
      ),
    onSuccess: () => {
      setName("");
      void client.invalidateQueries({ queryKey: ["me", "tokens"] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.DELETE("/api/v1/users/me/tokens/{token_id}", { params: { path: { token_id: id } } }),
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["me", "tokens"] }),
  });
  const projectName = (id: string) =>
    projects.data?.items.find((p) => p.id === id)?.name ?? id.slice(0, 8);
  return (
    <Card withBorder radius="md" padding="lg">
      <Title order={2} size="h4" mb="sm">
        API tokens
      </Title>
      <Stack gap="sm">
        {create.data && (
          <Alert color="teal" title="Copy your token now">
            <Code block>{create.data.token}</Code>
            <Text size="xs" mt={4}>
              It is shown only once. Send it as “Authorization: Bearer …”.
            </Text>
          </Alert>
        )}
        <Group align="flex-end" gap="xs">
          <TextInput
            label="Name"
            placeholder="CI deploy"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            w={150}
          />
          <Select
            label="Project"
            data={(projects.data?.items ?? []).map((p) => ({ value: p.id, label: p.name }))}
            value={project}
            onChange={setProject}
            w={150}
          />
          <Select
            label="Role"
            data={(roles.data ?? []).map((r) => ({ value: r.key, label: r.name }))}
            value={role}
            onChange={setRole}
            allowDeselect={false}
            w={120}
          />
          <Button
            onClick={() => create.mutate()}
            loading={create.isPending}
            disabled={!name || !project}
          >
            Create
          </Button>
        </Group>
        {create.error && <InlineError error={create.error} />}
        {tokens.data && tokens.data.length > 0 && (
          <Table fz="sm" aria-label="API tokens">
            <Table.Tbody>
              {tokens.data.map((t) => (
                <Table.Tr key={t.id}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {t.name}
                    </Text>
                    <Text size="xs" c="dimmed" className="mono">
                      {t.hint}…
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">
                      {projectName(t.project_id)} · {t.role}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" c="dimmed">
                      used {timeAgo(t.last_used_at)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {t.active ? (
                      <Tooltip label="Revoke">
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          aria-label={`Revoke token ${t.name}`}
                          onClick={() => revoke.mutate(t.id)}
                        >
                          <IconTrash size={16} />
                        </ActionIcon>
                      </Tooltip>
                    ) : (
                      <Badge color="gray" variant="light">
                        revoked
                      </Badge>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Card>
  );
}
