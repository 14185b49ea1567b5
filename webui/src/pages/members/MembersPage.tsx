import {
  ActionIcon,
  Badge,
  Button,
  Group,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  Tooltip,
} from "@mantine/core";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import { IconTrash, IconUserPlus, IconUsers } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { describeError } from "../../api/errors";
import { useAuth } from "../../auth/AuthProvider";
import { PageHeader } from "../../components/PageHeader";
import { EmptyState, ErrorState, InlineError, LoadingRows } from "../../components/states";
import { keys, useProject, useRoles } from "../../hooks/queries";

export function MembersPage() {
  const { projectId: pid = "" } = useParams();
  const project = useProject(pid);
  const roles = useRoles();
  const { can, me } = useAuth();
  const client = useQueryClient();
  const canManage = can(pid, "membership.manage");
  const members = useQuery({
    queryKey: keys.memberships(pid),
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/api/v1/projects/{project_id}/memberships", {
            params: { path: { project_id: pid } },
          }),
        )
      ).items,
  });
  // Only superusers may list all users; others add members they cannot search for.
  const users = useQuery({
    queryKey: keys.users,
    enabled: Boolean(me?.is_superuser),
    queryFn: () => unwrap(api.GET("/api/v1/users", { params: { query: { per_page: 500 } } })),
  });
  const [userId, setUserId] = useState<string | null>(null);
  const [role, setRole] = useState<string | null>("member");
  const invalidate = () => {
    void client.invalidateQueries({ queryKey: keys.memberships(pid) });
  };
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/projects/{project_id}/memberships", {
          params: { path: { project_id: pid } },
          body: { user_id: userId ?? "", role_id: role ?? "member" },
        }),
      ),
    onSuccess: () => {
      invalidate();
      setUserId(null);
    },
  });
  const change = useMutation({
    mutationFn: (v: { id: string; role: string }) =>
      unwrap(
        api.PUT("/api/v1/projects/{project_id}/memberships/{membership_id}", {
          params: { path: { project_id: pid, membership_id: v.id } },
          body: { role_id: v.role },
        }),
      ),
    onSuccess: invalidate,
    onError: (e) =>
      notifications.show({ color: "red", title: "Role not changed", message: describeError(e) }),
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.DELETE("/api/v1/projects/{project_id}/memberships/{membership_id}", {
          params: { path: { project_id: pid, membership_id: id } },
        }),
      ),
    onSuccess: invalidate,
    onError: (e) =>
      notifications.show({ color: "red", title: "Member not removed", message: describeError(e) }),
  });
  const roleData = (roles.data ?? []).map((r) => ({ value: r.key, label: r.name }));
  const memberIds = new Set((members.data ?? []).map((m) => m.user_id));
  const candidates = (users.data?.items ?? [])
    .filter((u) => !memberIds.has(u.id))
    .map((u) => ({ value: u.id, label: `${u.username} (${u.email})` }));

  return (
    <>
      <PageHeader
        title="Members"
        description="Who can see and change this project, and with which role."
        crumbs={[{ label: "Projects", to: "/" }, { label: project.data?.name ?? "…" }]}
      />
      {canManage && me?.is_superuser && (
        <Paper withBorder p="sm" radius="md" mb="md" bg="white">
          <Stack gap="xs">
            <Group gap="sm" align="flex-end">
              <Select
                label="Add a person"
                placeholder="Choose a user"
                data={candidates}
                value={userId}
                onChange={setUserId}
                searchable
                w={320}
                nothingFoundMessage="Everyone is a member already"
              />
              <Select
                label="Role"
                data={roleData}
                value={role}
                onChange={setRole}
                allowDeselect={false}
                w={160}
              />
              <Button
                leftSection={<IconUserPlus size={16} />}
                disabled={!userId}
                loading={add.isPending}
                onClick={() => add.mutate()}
              >
                Add member
              </Button>
            </Group>
            {add.error && <InlineError error={add.error} />}
          </Stack>
        </Paper>
      )}
      {members.isPending && <LoadingRows rows={3} />}
      {members.error && <ErrorState error={members.error} onRetry={() => void members.refetch()} />}
      {members.data && members.data.length === 0 && (
        <EmptyState title="No members yet" icon={<IconUsers size={26} />}>
          Superusers see every project. Add people here to give them a role in this one.
        </EmptyState>
      )}
      {members.data && members.data.length > 0 && (
        <Paper withBorder radius="md" bg="white">
          <Table aria-label="Members">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Person</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th w={60}>
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {members.data.map((m) => (
                <Table.Tr key={m.id}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {m.username ?? m.user_id}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {m.email}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {canManage ? (
                      <Select
                        aria-label={`Role of ${m.username ?? m.user_id}`}
                        data={roleData}
                        value={m.role_key}
                        onChange={(v) => v && change.mutate({ id: m.id, role: v })}
                        allowDeselect={false}
                        w={160}
                        size="xs"
                      />
                    ) : (
                      <Badge variant="light">{m.role_key}</Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {canManage && (
                      <Tooltip label="Remove from project">
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          aria-label={`Remove ${m.username ?? m.user_id}`}
                          onClick={() =>
                            modals.openConfirmModal({
                              title: `Remove ${m.username ?? "this member"}?`,
                              children: (
                                <Text size="sm">They lose access to this project at once.</Text>
                              ),
                              labels: { confirm: "Remove", cancel: "Cancel" },
                              confirmProps: { color: "red" },
                              onConfirm: () => remove.mutate(m.id),
                            })
                          }
                        >
                          <IconTrash size={16} />
                        </ActionIcon>
                      </Tooltip>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
      {roles.data && (
        <Paper withBorder radius="md" p="md" mt="md" bg="white">
          <Text fw={600} size="sm" mb="xs">
            What each role may do
          </Text>
          <Table fz="xs" aria-label="Roles">
            <Table.Tbody>
              {roles.data.map((r) => (
                <Table.Tr key={r.key}>
                  <Table.Td w={110}>
                    <Badge variant="light">{r.name}</Badge>
                  </Table.Td>
                  <Table.Td>{r.permissions.join(" · ")}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
    </>
  );
}
