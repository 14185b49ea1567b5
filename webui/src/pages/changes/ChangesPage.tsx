// Pending changes of a project: what each would change (diff), approve with re-authentication,
// reject with a reason, cancel your own.
import {
  Badge,
  Button,
  Card,
  Code,
  Group,
  Modal,
  PasswordInput,
  SegmentedControl,
  Stack,
  Table,
  Text,
  TextInput,
  Textarea,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconGitPullRequest } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useLocation, useParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import type { PendingChangeRead } from "../../api/types";
import { useAuth } from "../../auth/AuthProvider";
import { PageHeader } from "../../components/PageHeader";
import { EmptyState, ErrorState, InlineError, LoadingRows } from "../../components/states";
import { timeAgo } from "../../components/time";
import { useProject } from "../../hooks/queries";
import { show } from "../../lib/audit";
import { EditChangeModal } from "./EditChangeModal";

const STATUS_LABEL: Record<string, string> = { approved: "applied" };

const STATUS_COLOR: Record<string, string> = {
  pending: "orange",
  approved: "teal",
  applied: "teal",
  rejected: "red",
  cancelled: "gray",
  failed: "red",
};

function ChangeDiff({ change }: { change: PendingChangeRead }) {
  const rows = change.diff.flatMap((d) =>
    Object.entries(d.changes).map(([field, v]) => ({
      key: `${d.entity_id}-${field}`,
      label: d.label,
      field,
      old: (v as { old?: unknown }).old,
      new: (v as { new?: unknown }).new,
    })),
  );
  if (rows.length === 0)
    return (
      <Text size="sm" c="dimmed">
        {change.summary}
      </Text>
    );
  return (
    <Table fz="xs" withTableBorder verticalSpacing={2} aria-label="Proposed changes">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>What</Table.Th>
          <Table.Th>Now</Table.Th>
          <Table.Th>After approval</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((r) => (
          <Table.Tr key={r.key}>
            <Table.Td>
              {r.label} · <span className="mono">{r.field}</span>
            </Table.Td>
            <Table.Td>
              <Code c="red.9" bg="red.0" style={{ whiteSpace: "pre-wrap" }}>
                {show(r.old)}
              </Code>
            </Table.Td>
            <Table.Td>
              <Code c="teal.9" bg="teal.0" style={{ whiteSpace: "pre-wrap" }}>
                {show(r.new)}
              </Code>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function ApproveModal({ change, onClose }: { change: PendingChangeRead; onClose: () => void }) {
  const client = useQueryClient();
  const { me } = useAuth();
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const approve = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/pending-changes/{change_id}/approve", {
          params: { path: { change_id: change.id } },
          body: { password, totp: totp || null },
        }),
      ),
    onSuccess: (r) => {
      void client.invalidateQueries({ queryKey: ["pending-changes"] });
      void client.invalidateQueries({ queryKey: ["feature"] });
      void client.invalidateQueries({ queryKey: ["features"] });
      notifications.show({
        color: "teal",
        message:
          r.status === "pending" ? "Approved; more approvals are needed." : "Approved and applied.",
      });
      onClose();
    },
  });
  const err = approve.error instanceof ApiError ? approve.error : null;
  return (
    <Modal opened onClose={onClose} title="Approve this change">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          approve.mutate();
        }}
      >
        <Stack>
          <Text size="sm">{change.summary}</Text>
          <ChangeDiff change={change} />
          <PasswordInput
            label="Your password"
            description="Approving needs you to confirm it is you"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            autoComplete="current-password"
            error={err && /password/i.test(err.message) ? describeError(err) : undefined}
            data-autofocus
            required
          />
          {me?.two_fa_enabled && (
            <TextInput
              label="2FA code"
              value={totp}
              onChange={(e) => setTotp(e.currentTarget.value)}
              autoComplete="one-time-code"
              error={err && /code|totp|2fa/i.test(err.message) ? describeError(err) : undefined}
            />
          )}
          {approve.error && !(err && /password|code|totp|2fa/i.test(err.message)) && (
            <InlineError error={approve.error} />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" color="teal" loading={approve.isPending} disabled={!password}>
              Approve
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function RejectModal({
  change,
  cancel,
  onClose,
}: {
  change: PendingChangeRead;
  cancel: boolean;
  onClose: () => void;
}) {
  const client = useQueryClient();
  const [reason, setReason] = useState("");
  const act = useMutation({
    mutationFn: () =>
      cancel
        ? unwrap(
            api.POST("/api/v1/pending-changes/{change_id}/cancel", {
              params: { path: { change_id: change.id } },
              body: { reason: reason || null },
            }),
          )
        : unwrap(
            api.POST("/api/v1/pending-changes/{change_id}/reject", {
              params: { path: { change_id: change.id } },
              body: { reason },
            }),
          ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["pending-changes"] });
      notifications.show({
        color: "gray",
        message: cancel ? "Change cancelled" : "Change rejected",
      });
      onClose();
    },
  });
  return (
    <Modal opened onClose={onClose} title={cancel ? "Cancel your change" : "Reject this change"}>
      <Stack>
        <Text size="sm">{change.summary}</Text>
        <Textarea
          label={cancel ? "Reason (optional)" : "Reason"}
          description={cancel ? undefined : "The requester sees it"}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          autosize
          minRows={2}
          required={!cancel}
          data-autofocus
        />
        {act.error && <InlineError error={act.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Back
          </Button>
          <Button
            color="red"
            loading={act.isPending}
            disabled={!cancel && !reason.trim()}
            onClick={() => act.mutate()}
          >
            {cancel ? "Cancel change" : "Reject"}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function ChangeCard({
  change,
  pid,
  highlighted,
}: {
  change: PendingChangeRead;
  pid: string;
  highlighted: boolean;
}) {
  const { me, can } = useAuth();
  const [modal, setModal] = useState<"approve" | "reject" | "cancel" | "edit" | null>(null);
  const mine = change.requested_by_id === me?.id;
  const approvedByMe = change.approvals.some((a) => a.user_id === me?.id);
  const open = change.status === "pending";
  return (
    <Card
      withBorder
      radius="md"
      padding="md"
      data-testid="change-card"
      id={`change-${change.id}`}
      // the one a "Sent for approval" link points at
      style={highlighted ? { borderColor: "var(--mantine-color-orange-5)" } : undefined}
      aria-current={highlighted ? "true" : undefined}
    >
      <Stack gap="xs">
        <Group justify="space-between">
          <Group gap="xs">
            <Badge color={STATUS_COLOR[change.status] ?? "gray"} variant="light">
              {STATUS_LABEL[change.status] ?? change.status}
            </Badge>
            {change.feature_id && (
              <Text
                component={Link}
                to={`/projects/${pid}/features/${change.feature_id}?env=${change.environment_key ?? ""}`}
                className="mono"
                fw={600}
              >
                {change.feature_key}
              </Text>
            )}
            {change.environment_key && (
              <Badge
                size="sm"
                variant="outline"
                color={change.environment_key === "prod" ? "red" : "gray"}
              >
                {change.environment_key}
              </Badge>
            )}
          </Group>
          <Text size="xs" c="dimmed">
            by {change.requested_by} · {timeAgo(change.created_at)} · {change.approvals.length}/
            {change.required_approvals} approvals
          </Text>
        </Group>
        <Text size="sm" fw={500}>
          {change.summary}
        </Text>
        <ChangeDiff change={change} />
        {change.decision_reason && (
          <Text size="sm" c="dimmed">
            Reason: {change.decision_reason}
          </Text>
        )}
        {open && (
          <Group gap="xs">
            {!mine && !approvedByMe && can(pid, "change.approve") && (
              <Button size="xs" color="teal" onClick={() => setModal("approve")}>
                Approve…
              </Button>
            )}
            {!mine && can(pid, "change.approve") && (
              <Button size="xs" variant="light" color="red" onClick={() => setModal("reject")}>
                Reject…
              </Button>
            )}
            {mine && (
              <Button size="xs" variant="default" onClick={() => setModal("edit")}>
                Edit…
              </Button>
            )}
            {mine && (
              <Button size="xs" variant="default" onClick={() => setModal("cancel")}>
                Cancel my change
              </Button>
            )}
            {mine && (
              <Text size="xs" c="dimmed">
                Someone else must approve it.
              </Text>
            )}
          </Group>
        )}
      </Stack>
      {modal === "approve" && <ApproveModal change={change} onClose={() => setModal(null)} />}
      {modal === "edit" && <EditChangeModal change={change} onClose={() => setModal(null)} />}
      {(modal === "reject" || modal === "cancel") && (
        <RejectModal change={change} cancel={modal === "cancel"} onClose={() => setModal(null)} />
      )}
    </Card>
  );
}

export function ChangesPage() {
  const { projectId: pid = "" } = useParams();
  const project = useProject(pid);
  const [status, setStatus] = useState("pending");
  const { hash } = useLocation();
  const changes = useQuery({
    queryKey: ["pending-changes", pid, status],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/pending-changes", {
          params: {
            path: { project_id: pid },
            query: { status: status === "all" ? undefined : status, per_page: 100 },
          },
        }),
      ),
  });
  // A link to one change ("#change-<id>") scrolls to it once the list is there.
  useEffect(() => {
    if (hash && changes.data) document.getElementById(hash.slice(1))?.scrollIntoView();
  }, [hash, changes.data]);
  return (
    <>
      <PageHeader
        title="Pending changes"
        description="Changes to guarded features and approval-only environments wait here for a second person."
        crumbs={[{ label: "Projects", to: "/" }, { label: project.data?.name ?? "…" }]}
        actions={
          <SegmentedControl
            aria-label="Status"
            value={status}
            onChange={setStatus}
            data={[
              { value: "pending", label: "Waiting" },
              // the API's status of an applied change is "approved" (fully approved = applied)
              { value: "approved", label: "Applied" },
              { value: "rejected", label: "Rejected" },
              { value: "all", label: "All" },
            ]}
          />
        }
      />
      {changes.isPending && <LoadingRows rows={3} />}
      {changes.error && <ErrorState error={changes.error} onRetry={() => void changes.refetch()} />}
      {changes.data && changes.data.items.length === 0 && (
        <EmptyState
          title={status === "pending" ? "Nothing waits for approval" : "No changes here"}
          icon={<IconGitPullRequest size={26} />}
        >
          Tag a feature “guarded”, or require approval on an environment, and its changes will wait
          here.
        </EmptyState>
      )}
      <Stack>
        {changes.data?.items.map((c) => (
          <ChangeCard key={c.id} change={c} pid={pid} highlighted={hash === `#change-${c.id}`} />
        ))}
      </Stack>
    </>
  );
}

/** How many changes wait for me (across projects): for the navigation badge. */
export function usePendingForMe() {
  const { me } = useAuth();
  return useQuery({
    queryKey: ["pending-changes", "badge"],
    enabled: Boolean(me),
    refetchInterval: 60_000,
    queryFn: async () => {
      const page = await unwrap(
        api.GET("/api/v1/pending-changes", {
          params: { query: { status: "pending", per_page: 200 } },
        }),
      );
      return page.items.filter(
        (c) => c.requested_by_id !== me?.id && !c.approvals.some((a) => a.user_id === me?.id),
      );
    },
  });
}
