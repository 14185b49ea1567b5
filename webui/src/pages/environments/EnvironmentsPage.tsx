import {
  Badge,
  Button,
  Group,
  Modal,
  Paper,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import { IconPlus, IconRefresh, IconTrash } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import { isPendingChange, type EnvironmentRead } from "../../api/types";
import { useAuth } from "../../auth/AuthProvider";
import { useSentForApproval } from "../../components/approval";
import { CopyField } from "../../components/CopyField";
import { PageHeader } from "../../components/PageHeader";
import { ErrorState, InlineError, LoadingRows } from "../../components/states";
import { keys, useEnvironments, useProject } from "../../hooks/queries";

function CreateEnvironmentModal({
  pid,
  opened,
  onClose,
}: {
  pid: string;
  opened: boolean;
  onClose: () => void;
}) {
  const [key, setKey] = useState("");
  const [name, setName] = useState("");
  const [approval, setApproval] = useState(false);
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/projects/{project_id}/environments", {
          params: { path: { project_id: pid } },
          body: { key: key.trim(), name: name.trim(), requires_approval: approval },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.environments(pid) });
      setKey("");
      setName("");
      onClose();
    },
  });
  const err = create.error instanceof ApiError ? create.error : null;
  const keyError =
    err && (err.field === "key" || err.status === 409) ? describeError(err) : undefined;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Modal opened={opened} onClose={onClose} title="New environment">
      <form onSubmit={submit}>
        <Stack>
          <TextInput
            label="Key"
            description="Used by SDKs and in URLs, e.g. qa"
            value={key}
            onChange={(e) => setKey(e.currentTarget.value)}
            error={keyError}
            required
            data-autofocus
          />
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Switch
            label="Changes need approval"
            checked={approval}
            onChange={(e) => setApproval(e.currentTarget.checked)}
          />
          {create.error && !keyError && <InlineError error={create.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending} disabled={!key.trim()}>
              Create environment
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function EnvironmentRow({ env, canManage }: { env: EnvironmentRead; canManage: boolean }) {
  const client = useQueryClient();
  const sentForApproval = useSentForApproval();
  const failed = (title: string) => (e: unknown) =>
    notifications.show({ color: "red", title, message: describeError(e) });
  const refresh = () => client.invalidateQueries({ queryKey: keys.environments(env.project_id) });
  // Switching approval off, and deleting, may be held for approval (202): the row then keeps
  // showing what is in force.
  const setApproval = useMutation({
    mutationFn: (requires: boolean) =>
      unwrap(
        api.PATCH("/api/v1/projects/{project_id}/environments/{env_key}", {
          params: { path: { project_id: env.project_id, env_key: env.key } },
          body: { requires_approval: requires },
        }),
      ),
    onSuccess: (r) => {
      if (isPendingChange(r)) sentForApproval(r, `${env.key} without approvals`);
      else
        notifications.show({
          color: "teal",
          message: r.requires_approval
            ? `Changes in ${env.key} now need approval`
            : `Changes in ${env.key} now apply directly`,
        });
    },
    onError: failed(`Could not change ${env.key}`),
    onSettled: () => void refresh(),
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE("/api/v1/projects/{project_id}/environments/{env_key}", {
          params: { path: { project_id: env.project_id, env_key: env.key } },
        }),
      ),
    onSuccess: (r) => {
      if (isPendingChange(r)) sentForApproval(r, `delete ${env.key}`);
      else notifications.show({ color: "teal", message: `Environment ${env.key} deleted` });
    },
    onError: failed(`Could not delete ${env.key}`),
    onSettled: () => void refresh(),
  });
  const confirmDelete = () =>
    modals.openConfirmModal({
      title: `Delete the environment ${env.key}?`,
      children: (
        <Text size="sm">
          Every feature loses its state in {env.key}, and its SDK key stops working.
        </Text>
      ),
      labels: { confirm: "Delete environment", cancel: "Cancel" },
      confirmProps: { color: "red" },
      onConfirm: () => remove.mutate(),
    });
  const rotate = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/projects/{project_id}/environments/{env_key}/rotate-key", {
          params: { path: { project_id: env.project_id, env_key: env.key } },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.environments(env.project_id) });
      notifications.show({
        color: "teal",
        title: "SDK key rotated",
        message: `Update the key of ${env.key} in your applications.`,
      });
    },
    onError: (e) =>
      notifications.show({
        color: "red",
        title: "Could not rotate the key",
        message: describeError(e),
      }),
  });
  const confirmRotate = () =>
    modals.openConfirmModal({
      title: `Rotate the SDK key of ${env.key}?`,
      children: (
        <Text size="sm">
          The current key stops working at once. Every application using it must be given the new
          key.
        </Text>
      ),
      labels: { confirm: "Rotate key", cancel: "Cancel" },
      confirmProps: { color: "red" },
      onConfirm: () => rotate.mutate(),
    });

  return (
    <Table.Tr>
      <Table.Td>
        <Group gap="xs">
          <Text fw={600} className="mono">
            {env.key}
          </Text>
          {env.key === "prod" && (
            <Badge color="red" variant="light" size="sm">
              production
            </Badge>
          )}
        </Group>
        <Text size="xs" c="dimmed">
          {env.name}
        </Text>
      </Table.Td>
      <Table.Td>
        <CopyField value={env.api_key} label={`SDK key of ${env.key}`} />
      </Table.Td>
      <Table.Td>
        {canManage ? (
          <Switch
            label="Need approval"
            aria-label={`Changes in ${env.key} need approval`}
            checked={setApproval.isPending ? Boolean(setApproval.variables) : env.requires_approval}
            disabled={setApproval.isPending}
            onChange={(e) => setApproval.mutate(e.currentTarget.checked)}
          />
        ) : env.requires_approval ? (
          <Badge variant="light" color="orange">
            approval required
          </Badge>
        ) : (
          <Text size="sm" c="dimmed">
            direct
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        {canManage && (
          <Group gap="xs" wrap="nowrap">
            <Button
              size="xs"
              variant="light"
              color="red"
              leftSection={<IconRefresh size={14} />}
              onClick={confirmRotate}
              loading={rotate.isPending}
              aria-label={`Rotate key of ${env.key}`}
            >
              Rotate key
            </Button>
            <Button
              size="xs"
              variant="subtle"
              color="red"
              leftSection={<IconTrash size={14} />}
              onClick={confirmDelete}
              loading={remove.isPending}
              aria-label={`Delete ${env.key}`}
            >
              Delete
            </Button>
          </Group>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

export function EnvironmentsPage() {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  const envs = useEnvironments(projectId);
  const { can } = useAuth();
  const [opened, { open, close }] = useDisclosure(false);
  const canManage = can(projectId, "project.manage");
  return (
    <>
      <PageHeader
        title="Environments & SDK keys"
        description="Each environment has its own flag states and its own SDK key."
        crumbs={[{ label: "Projects", to: "/" }, { label: project.data?.name ?? "…" }]}
        actions={
          canManage && (
            <Button leftSection={<IconPlus size={16} />} onClick={open}>
              New environment
            </Button>
          )
        }
      />
      {envs.isPending && <LoadingRows rows={3} />}
      {envs.error && <ErrorState error={envs.error} onRetry={() => void envs.refetch()} />}
      {envs.data && (
        <Paper withBorder radius="md" bg="white">
          <Table.ScrollContainer minWidth={640}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Environment</Table.Th>
                  <Table.Th>SDK key</Table.Th>
                  <Table.Th>Changes</Table.Th>
                  <Table.Th>
                    <span className="visually-hidden">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {envs.data.map((env) => (
                  <EnvironmentRow key={env.id} env={env} canManage={canManage} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
      <CreateEnvironmentModal pid={projectId} opened={opened} onClose={close} />
    </>
  );
}
