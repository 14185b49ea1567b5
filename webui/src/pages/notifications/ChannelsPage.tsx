// Notification channels of a project (webhook, Slack, Mattermost, Telegram, e-mail), with
// "send test" and the delivery log.
import {
  ActionIcon,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import { IconBellRinging, IconPencil, IconSend, IconTrash } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import type { ChannelRead } from "../../api/types";
import { useAuth } from "../../auth/AuthProvider";
import { PageHeader } from "../../components/PageHeader";
import { EmptyState, ErrorState, InlineError, LoadingRows } from "../../components/states";
import { timeAgo } from "../../components/time";
import { useEnvironments, useProject } from "../../hooks/queries";

type ChannelType = "webhook" | "slack" | "mattermost" | "telegram" | "email";
const TRIGGERS = [
  { value: "state_changed", label: "A feature is toggled" },
  { value: "auto_disabled", label: "A feature is auto-disabled" },
  { value: "approval_needed", label: "A change needs approval" },
  { value: "change_decided", label: "A change is approved or rejected" },
] as const;
type Trigger = (typeof TRIGGERS)[number]["value"];
const CONFIG_FIELDS: Record<ChannelType, { key: string; label: string; secret?: boolean }[]> = {
  webhook: [
    { key: "url", label: "URL" },
    { key: "secret", label: "Signing secret (16+ characters)", secret: true },
  ],
  slack: [{ key: "webhook_url", label: "Incoming webhook URL", secret: true }],
  mattermost: [{ key: "webhook_url", label: "Incoming webhook URL", secret: true }],
  telegram: [
    { key: "bot_token", label: "Bot token", secret: true },
    { key: "chat_id", label: "Chat id" },
  ],
  email: [{ key: "to", label: "Recipients (comma-separated)" }],
};

// Config values as text fields: lists (e-mail recipients) are edited comma-separated, and
// secrets come back from the server as ******** — sent unchanged, the server keeps them.
function configAsText(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.join(", ") : typeof v === "string" ? v : JSON.stringify(v),
    ]),
  );
}

/** Creates a channel, or edits `channel` when given (its type cannot change). */
function ChannelModal({
  pid,
  opened,
  onClose,
  channel,
}: {
  pid: string;
  opened: boolean;
  onClose: () => void;
  channel?: ChannelRead;
}) {
  const envs = useEnvironments(pid);
  const client = useQueryClient();
  const [type, setType] = useState<ChannelType>((channel?.type as ChannelType) ?? "webhook");
  const [name, setName] = useState(channel?.name ?? "");
  const [env, setEnv] = useState<string | null>(channel?.environment_key ?? null);
  const [config, setConfig] = useState<Record<string, string>>(
    channel ? configAsText(channel.config) : {},
  );
  const [triggers, setTriggers] = useState<Trigger[]>(
    channel ? (channel.triggers as Trigger[]) : TRIGGERS.map((t) => t.value),
  );
  const save = useMutation({
    mutationFn: () => {
      const cfg: Record<string, unknown> = { ...config };
      if (type === "email" && typeof cfg.to === "string")
        cfg.to = cfg.to
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
      if (channel)
        return unwrap(
          api.PATCH("/api/v1/projects/{project_id}/notification-channels/{channel_id}", {
            params: { path: { project_id: pid, channel_id: channel.id } },
            body: { name: name || null, environment_key: env, config: cfg, triggers },
          }),
        );
      return unwrap(
        api.POST("/api/v1/projects/{project_id}/notification-channels", {
          params: { path: { project_id: pid } },
          body: {
            type,
            name: name || null,
            environment_key: env,
            config: cfg,
            triggers,
            enabled: true,
          },
        }),
      );
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["notifications", "channels", pid] });
      if (channel) notifications.show({ color: "teal", message: `Channel ${name} saved` });
      onClose();
    },
  });
  const err = save.error instanceof ApiError ? save.error : null;
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={channel ? `Edit ${channel.name}` : "New notification channel"}
      size="lg"
    >
      <Stack>
        <Group grow>
          <Select
            label="Type"
            data={["webhook", "slack", "mattermost", "telegram", "email"]}
            value={type}
            onChange={(v) => {
              setType((v as ChannelType) ?? "webhook");
              setConfig({});
            }}
            allowDeselect={false}
            disabled={Boolean(channel)}
          />
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        </Group>
        <Select
          label="Environment"
          placeholder="All environments"
          data={(envs.data ?? []).map((e) => e.key)}
          value={env}
          onChange={setEnv}
          clearable
        />
        {CONFIG_FIELDS[type].map((f) => (
          <TextInput
            key={f.key}
            label={f.label}
            type={f.secret ? "password" : "text"}
            description={
              channel && f.secret
                ? f.key === "webhook_url"
                  ? "Leave as it is to keep the stored URL"
                  : // The server sends a stored secret only where it was saved for.
                    "Leave as it is to keep the stored secret; enter it again if the URL changes"
                : undefined
            }
            value={config[f.key] ?? ""}
            onChange={(e) => setConfig({ ...config, [f.key]: e.currentTarget.value })}
            error={err?.field?.endsWith(f.key) ? err.detail : undefined}
          />
        ))}
        <Checkbox.Group
          label="Send when"
          value={triggers}
          onChange={(v) => setTriggers(v as Trigger[])}
        >
          <Stack gap={4} mt={4}>
            {TRIGGERS.map((t) => (
              <Checkbox key={t.value} value={t.value} label={t.label} />
            ))}
          </Stack>
        </Checkbox.Group>
        {save.error && !err?.field && <InlineError error={save.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => save.mutate()} loading={save.isPending}>
            {channel ? "Save channel" : "Create channel"}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function ChannelsPage() {
  const { projectId: pid = "" } = useParams();
  const [editing, setEditing] = useState<ChannelRead | null>(null);
  const project = useProject(pid);
  const { can } = useAuth();
  const client = useQueryClient();
  const [opened, { open, close }] = useDisclosure(false);
  const canManage = can(pid, "project.manage");
  const channels = useQuery({
    queryKey: ["notifications", "channels", pid],
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/api/v1/projects/{project_id}/notification-channels", {
            params: { path: { project_id: pid } },
          }),
        )
      ).items,
  });
  const messages = useQuery({
    queryKey: ["notifications", "messages", pid],
    refetchInterval: 10_000,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/notification-messages", {
          params: { path: { project_id: pid }, query: { per_page: 20 } },
        }),
      ),
  });
  const refresh = () => void client.invalidateQueries({ queryKey: ["notifications"] });
  const test = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.POST("/api/v1/projects/{project_id}/notification-channels/{channel_id}/test", {
          params: { path: { project_id: pid, channel_id: id } },
        }),
      ),
    onSuccess: () => {
      notifications.show({
        color: "teal",
        message: "Test message queued; see the delivery log below.",
      });
      refresh();
    },
    onError: (e) =>
      notifications.show({ color: "red", title: "Test not sent", message: describeError(e) }),
  });
  const toggle = useMutation({
    mutationFn: (v: { id: string; enabled: boolean }) =>
      unwrap(
        api.PATCH("/api/v1/projects/{project_id}/notification-channels/{channel_id}", {
          params: { path: { project_id: pid, channel_id: v.id } },
          body: { enabled: v.enabled },
        }),
      ),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.DELETE("/api/v1/projects/{project_id}/notification-channels/{channel_id}", {
          params: { path: { project_id: pid, channel_id: id } },
        }),
      ),
    onSuccess: refresh,
  });
  const newButton = canManage && (
    <Button leftSection={<IconBellRinging size={16} />} onClick={open}>
      New channel
    </Button>
  );
  return (
    <>
      <PageHeader
        title="Notifications"
        description="Where Togglr tells your team about toggles, auto-disables and approvals."
        crumbs={[{ label: "Projects", to: "/" }, { label: project.data?.name ?? "…" }]}
        actions={newButton}
      />
      {channels.isPending && <LoadingRows rows={2} />}
      {channels.error && <ErrorState error={channels.error} />}
      {channels.data && channels.data.length === 0 && (
        <EmptyState title="No channels yet" icon={<IconBellRinging size={26} />} action={newButton}>
          Send changes to Slack, Mattermost, Telegram, e-mail or any webhook.
        </EmptyState>
      )}
      {channels.data && channels.data.length > 0 && (
        <Card withBorder radius="md" p={0} mb="lg">
          <Table aria-label="Notification channels">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Channel</Table.Th>
                <Table.Th>Environment</Table.Th>
                <Table.Th>Sends when</Table.Th>
                <Table.Th>On</Table.Th>
                <Table.Th>
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {channels.data.map((c) => (
                <Table.Tr key={c.id}>
                  <Table.Td>
                    <Text size="sm" fw={600}>
                      {c.name}
                    </Text>
                    <Badge size="xs" variant="light">
                      {c.type}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{c.environment_key ?? "all"}</Table.Td>
                  <Table.Td>
                    <Text size="xs">
                      {c.triggers
                        .map((t) => TRIGGERS.find((x) => x.value === t)?.label ?? t)
                        .join(" · ")}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Switch
                      checked={c.enabled}
                      disabled={!canManage}
                      onChange={(e) =>
                        toggle.mutate({ id: c.id, enabled: e.currentTarget.checked })
                      }
                      aria-label={`Channel ${c.name} enabled`}
                    />
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button
                        size="xs"
                        variant="light"
                        leftSection={<IconSend size={14} />}
                        onClick={() => test.mutate(c.id)}
                        loading={test.isPending && test.variables === c.id}
                      >
                        Send test
                      </Button>
                      {canManage && (
                        <Tooltip label="Edit channel">
                          <ActionIcon
                            variant="subtle"
                            color="gray"
                            aria-label={`Edit channel ${c.name}`}
                            onClick={() => setEditing(c)}
                          >
                            <IconPencil size={16} />
                          </ActionIcon>
                        </Tooltip>
                      )}
                      {canManage && (
                        <Tooltip label="Delete channel">
                          <ActionIcon
                            variant="subtle"
                            color="red"
                            aria-label={`Delete channel ${c.name}`}
                            onClick={() =>
                              modals.openConfirmModal({
                                title: `Delete ${c.name}?`,
                                labels: { confirm: "Delete", cancel: "Cancel" },
                                confirmProps: { color: "red" },
                                onConfirm: () => remove.mutate(c.id),
                              })
                            }
                          >
                            <IconTrash size={16} />
                          </ActionIcon>
                        </Tooltip>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      )}
      {messages.data && messages.data.items.length > 0 && (
        <Card withBorder radius="md" padding="lg">
          <Text fw={600} mb="xs">
            Delivery log
          </Text>
          <Table fz="sm" aria-label="Delivery log">
            <Table.Tbody>
              {messages.data.items.map((m) => (
                <Table.Tr key={m.id}>
                  <Table.Td>
                    {TRIGGERS.find((t) => t.value === m.trigger)?.label ?? m.trigger}
                  </Table.Td>
                  <Table.Td>
                    <Badge
                      color={m.status === "sent" ? "teal" : m.status === "failed" ? "red" : "gray"}
                      variant="light"
                    >
                      {m.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" c="dimmed">
                      {m.last_error ?? ""}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" c="dimmed">
                      {timeAgo(m.created_at)}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      )}
      <ChannelModal pid={pid} opened={opened} onClose={close} />
      {editing && (
        <ChannelModal pid={pid} opened onClose={() => setEditing(null)} channel={editing} />
      )}
    </>
  );
}
