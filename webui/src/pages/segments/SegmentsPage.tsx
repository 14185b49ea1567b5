import {
  Button,
  Group,
  Modal,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Textarea,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconPlus, IconUsersGroup } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import { useAuth } from "../../auth/AuthProvider";
import { PageHeader } from "../../components/PageHeader";
import { ConditionBuilder } from "../../components/rules/ConditionBuilder";
import { EmptyState, ErrorState, InlineError, LoadingRows } from "../../components/states";
import { timeAgo } from "../../components/time";
import { keys, useAttributes, useProject, useSegments } from "../../hooks/queries";
import {
  describe,
  emptyCondition,
  fromJson,
  toJson,
  treeProblem,
  type TreeNode,
} from "../../lib/conditions";

function CreateSegmentModal({
  pid,
  opened,
  onClose,
}: {
  pid: string;
  opened: boolean;
  onClose: () => void;
}) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [tree, setTree] = useState<TreeNode>(emptyCondition());
  const [showProblems, setShowProblems] = useState(false);
  const attributes = useAttributes();
  const client = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/projects/{project_id}/segments", {
          params: { path: { project_id: pid } },
          body: {
            name: name.trim(),
            description,
            condition: toJson(tree) as Record<string, unknown>,
          },
        }),
      ),
    onSuccess: (s) => {
      void client.invalidateQueries({ queryKey: keys.segments(pid) });
      onClose();
      navigate(`/projects/${pid}/segments/${s.id}`);
    },
  });
  const err = create.error instanceof ApiError ? create.error : null;
  const nameError =
    err && (err.field === "name" || err.status === 409) ? describeError(err) : undefined;
  return (
    <Modal opened={opened} onClose={onClose} title="New segment" size="xl">
      <Stack>
        <TextInput
          label="Name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={nameError}
          required
          data-autofocus
        />
        <Textarea
          label="Description"
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          autosize
        />
        <Text size="sm" fw={500}>
          Who is in the segment
        </Text>
        <ConditionBuilder
          value={tree}
          onChange={setTree}
          attributes={(attributes.data ?? []).map((a) => a.name)}
          showProblems={showProblems}
          label="segment"
        />
        {create.error && !nameError && <InlineError error={create.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            loading={create.isPending}
            disabled={!name.trim()}
            onClick={() => {
              setShowProblems(true);
              if (!treeProblem(tree)) create.mutate();
            }}
          >
            Create segment
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function SegmentsPage() {
  const { projectId: pid = "" } = useParams();
  const project = useProject(pid);
  const segments = useSegments(pid);
  const { can } = useAuth();
  const [opened, { open, close }] = useDisclosure(false);
  const canManage = can(pid, "segment.manage");
  const newButton = canManage && (
    <Button leftSection={<IconPlus size={16} />} onClick={open}>
      New segment
    </Button>
  );
  return (
    <>
      <PageHeader
        title="Segments"
        description="Reusable groups of users. Rules built from a segment follow it when it changes."
        crumbs={[{ label: "Projects", to: "/" }, { label: project.data?.name ?? "…" }]}
        actions={newButton}
      />
      {segments.isPending && <LoadingRows rows={4} />}
      {segments.error && (
        <ErrorState error={segments.error} onRetry={() => void segments.refetch()} />
      )}
      {segments.data && segments.data.length === 0 && (
        <EmptyState title="No segments yet" icon={<IconUsersGroup size={26} />} action={newButton}>
          Describe a group once, e.g. “beta testers in Germany”, and use it in the rules of many
          features.
        </EmptyState>
      )}
      {segments.data && segments.data.length > 0 && (
        <Paper withBorder radius="md" bg="white">
          <Table aria-label="Segments">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Segment</Table.Th>
                <Table.Th>Condition</Table.Th>
                <Table.Th>Changed</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {segments.data.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>
                    <Text
                      component={Link}
                      to={`/projects/${pid}/segments/${s.id}`}
                      fw={600}
                      size="sm"
                    >
                      {s.name}
                    </Text>
                    <Text size="xs" c="dimmed" lineClamp={1}>
                      {s.description}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" lineClamp={2}>
                      {describe(fromJson(s.condition))}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c="dimmed">
                      {timeAgo(s.updated_at)}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
      <CreateSegmentModal pid={pid} opened={opened} onClose={close} />
    </>
  );
}
