import {
  Badge,
  Button,
  Card,
  Grid,
  Group,
  Stack,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
} from "@mantine/core";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import { IconDeviceFloppy, IconTrash } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import type { PendingChangeRead, SegmentRead } from "../../api/types";
import { useAuth } from "../../auth/AuthProvider";
import { useSentForApproval } from "../../components/approval";
import { PageHeader } from "../../components/PageHeader";
import { ConditionBuilder } from "../../components/rules/ConditionBuilder";
import { ErrorState, InlineError, LoadingRows, PageLoader } from "../../components/states";
import { keys, useAttributes, useProject } from "../../hooks/queries";
import {
  conditionFieldProblem,
  fromJson,
  sameCondition,
  toJson,
  treeProblem,
  type TreeNode,
} from "../../lib/conditions";

function Usages({ segmentId, pid }: { segmentId: string; pid: string }) {
  const usages = useQuery({
    queryKey: keys.usages(segmentId),
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/api/v1/segments/{segment_id}/usages", {
            params: { path: { segment_id: segmentId } },
          }),
        )
      ).items,
  });
  if (usages.isPending) return <LoadingRows rows={2} />;
  if (usages.error) return <ErrorState error={usages.error} />;
  if (usages.data.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No rule uses this segment yet.
      </Text>
    );
  return (
    <Table aria-label="Features using this segment">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Feature</Table.Th>
          <Table.Th>Env</Table.Th>
          <Table.Th>Status</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {usages.data.map((u) => (
          <Table.Tr key={u.rule_id}>
            <Table.Td>
              <Text
                component={Link}
                to={`/projects/${pid}/features/${u.feature_id}?env=${u.environment_key}`}
                className="mono"
              >
                {u.feature_key}
              </Text>
            </Table.Td>
            <Table.Td className="mono">{u.environment_key}</Table.Td>
            <Table.Td>
              {u.is_customized ? (
                <Badge color="orange">desynced</Badge>
              ) : (
                <Badge color="teal" variant="light">
                  in sync
                </Badge>
              )}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** The pending syncs of a segment's guarded followers. */
async function pendingSyncsOf(pid: string, segmentId: string): Promise<PendingChangeRead[]> {
  const page = await unwrap(
    api.GET("/api/v1/projects/{project_id}/pending-changes", {
      params: { path: { project_id: pid }, query: { status: "pending", per_page: 200 } },
    }),
  );
  return page.items.filter(
    (c) => c.operation === "segment.sync_rules" && c.arguments.segment_id === segmentId,
  );
}

function Editor({ segment }: { segment: SegmentRead }) {
  const pid = segment.project_id;
  const { can } = useAuth();
  const attributes = useAttributes();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState(segment.name);
  const [description, setDescription] = useState(segment.description);
  const [tree, setTree] = useState<TreeNode>(() => fromJson(segment.condition));
  const [showProblems, setShowProblems] = useState(false);
  useEffect(() => {
    setName(segment.name);
    setDescription(segment.description);
    setTree(fromJson(segment.condition));
  }, [segment]);
  const canManage = can(pid, "segment.manage");
  const dirty =
    name !== segment.name ||
    description !== segment.description ||
    !sameCondition(toJson(tree), segment.condition);
  const sentForApproval = useSentForApproval();
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH("/api/v1/segments/{segment_id}", {
          params: { path: { segment_id: segment.id } },
          body: { name, description, condition: toJson(tree) as Record<string, unknown> },
        }),
      ),
    onSuccess: async (s) => {
      client.setQueryData(keys.segment(segment.id), s);
      void client.invalidateQueries({ queryKey: keys.segments(pid) });
      void client.invalidateQueries({ queryKey: keys.usages(segment.id) });
      // The answer is the segment; rules of guarded features did not follow it but got a
      // pending sync each (docs/governance.md, "Segments"): say which.
      const waiting = await pendingSyncsOf(pid, segment.id).catch(() => []);
      if (waiting.length === 0) {
        notifications.show({
          color: "teal",
          message: "Segment saved; rules that follow it were updated.",
        });
        return;
      }
      const names = waiting.map((c) => `${c.feature_key} in ${c.environment_key}`).join(", ");
      sentForApproval(
        waiting[0]!,
        `${waiting.length === 1 ? "1 guarded rule" : `${waiting.length} guarded rules`}`,
        `Segment saved. Guarded features keep the old condition until approved: ${names}.`,
      );
    },
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE("/api/v1/segments/{segment_id}", {
          params: { path: { segment_id: segment.id } },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.segments(pid) });
      navigate(`/projects/${pid}/segments`);
    },
    onError: (e) =>
      notifications.show({ color: "red", title: "Could not delete", message: describeError(e) }),
  });
  const err = save.error instanceof ApiError ? save.error : null;
  const conditionError = conditionFieldProblem(save.error, "condition");
  return (
    <Stack>
      <TextInput
        label="Name"
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        readOnly={!canManage}
        error={err && (err.field === "name" || err.status === 409) ? describeError(err) : undefined}
      />
      <Textarea
        label="Description"
        value={description}
        onChange={(e) => setDescription(e.currentTarget.value)}
        readOnly={!canManage}
        autosize
      />
      <Text size="sm" fw={500}>
        Condition
      </Text>
      <ConditionBuilder
        value={tree}
        onChange={setTree}
        attributes={(attributes.data ?? []).map((a) => a.name)}
        readOnly={!canManage}
        showProblems={showProblems}
        serverProblem={conditionError}
        label="segment"
      />
      {save.error && !conditionError && <InlineError error={save.error} />}
      {canManage && (
        <Group justify="space-between">
          <Button
            variant="subtle"
            color="red"
            leftSection={<IconTrash size={16} />}
            onClick={() =>
              modals.openConfirmModal({
                title: `Delete segment ${segment.name}?`,
                children: <Text size="sm">Rules that use it keep their current condition.</Text>,
                labels: { confirm: "Delete", cancel: "Cancel" },
                confirmProps: { color: "red" },
                onConfirm: () => remove.mutate(),
              })
            }
          >
            Delete
          </Button>
          <Button
            leftSection={<IconDeviceFloppy size={16} />}
            disabled={!dirty}
            loading={save.isPending}
            onClick={() => {
              setShowProblems(true);
              if (!treeProblem(tree)) save.mutate();
            }}
          >
            Save segment
          </Button>
        </Group>
      )}
    </Stack>
  );
}

export function SegmentPage() {
  const { projectId: pid = "", segmentId = "" } = useParams();
  const project = useProject(pid);
  const segment = useQuery({
    queryKey: keys.segment(segmentId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/segments/{segment_id}", { params: { path: { segment_id: segmentId } } }),
      ),
  });
  if (segment.isPending) return <PageLoader />;
  if (segment.error)
    return <ErrorState error={segment.error} onRetry={() => void segment.refetch()} />;
  return (
    <>
      <PageHeader
        title={segment.data.name}
        crumbs={[
          { label: "Projects", to: "/" },
          { label: project.data?.name ?? "…", to: `/projects/${pid}/features` },
          { label: "Segments", to: `/projects/${pid}/segments` },
        ]}
      />
      <Grid gutter="lg">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Card withBorder radius="md" padding="lg">
            <Editor segment={segment.data} />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Card withBorder radius="md" padding="lg">
            <Title order={2} size="h4" mb="sm">
              Used by
            </Title>
            <Usages segmentId={segmentId} pid={pid} />
          </Card>
        </Grid.Col>
      </Grid>
    </>
  );
}
