import {
  Badge,
  Button,
  Code,
  Collapse,
  Group,
  Pagination,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  Timeline,
  UnstyledButton,
} from "@mantine/core";
import { DateTimePickerLite } from "./DateFilter";
import { IconHistory } from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import type { AuditRead } from "../../api/types";
import { PageHeader } from "../../components/PageHeader";
import { EmptyState, ErrorState, LoadingRows } from "../../components/states";
import { formatDate, timeAgo } from "../../components/time";
import { keys, useEnvironments, useProject } from "../../hooks/queries";
import { diff, groupByRequest, show, summary } from "../../lib/audit";

const PER_PAGE = 50;

function Diff({ entry }: { entry: AuditRead }) {
  const changes = diff(entry.old_value, entry.new_value);
  if (changes.length === 0)
    return (
      <Text size="xs" c="dimmed">
        No field changed.
      </Text>
    );
  return (
    <Table fz="xs" verticalSpacing={2} withTableBorder aria-label="Changes">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Field</Table.Th>
          <Table.Th>Before</Table.Th>
          <Table.Th>After</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {changes.slice(0, 40).map((c) => (
          <Table.Tr key={c.path}>
            <Table.Td className="mono">{c.path}</Table.Td>
            <Table.Td>
              <Code c="red.9" bg="red.0" style={{ whiteSpace: "pre-wrap", wordBreak: "break-all" }}>
                {show(c.before)}
              </Code>
            </Table.Td>
            <Table.Td>
              <Code
                c="teal.9"
                bg="teal.0"
                style={{ whiteSpace: "pre-wrap", wordBreak: "break-all" }}
              >
                {show(c.after)}
              </Code>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function Entry({
  entry,
  pid,
  envKey,
  featureKey,
}: {
  entry: AuditRead;
  pid: string;
  envKey: string | undefined;
  featureKey: string | undefined;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Stack gap={4}>
      <UnstyledButton onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        <Group gap="xs">
          <Text size="sm" fw={500}>
            {summary(entry)}
          </Text>
          {envKey && (
            <Badge size="xs" variant="light" color={envKey === "prod" ? "red" : "gray"}>
              {envKey}
            </Badge>
          )}
          <Text size="xs" c="indigo.7">
            {open ? "hide changes" : "show changes"}
          </Text>
        </Group>
      </UnstyledButton>
      {entry.feature_id && (
        <Text
          size="xs"
          component={Link}
          to={`/projects/${pid}/features/${entry.feature_id}`}
          c="dimmed"
        >
          feature{" "}
          <span className="mono">
            {featureKey ??
              (entry.new_value as { key?: string } | null)?.key ??
              (entry.old_value as { key?: string } | null)?.key ??
              "(deleted)"}
          </span>
        </Text>
      )}
      <Collapse in={open}>
        <Diff entry={entry} />
      </Collapse>
    </Stack>
  );
}

export function HistoryPage() {
  const { projectId: pid = "" } = useParams();
  const project = useProject(pid);
  const envs = useEnvironments(pid);
  const [params, setParams] = useSearchParams();
  const [page, setPage] = useState(1);
  const filter = (k: string) => params.get(k) ?? null;
  const setFilter = (k: string, v: string | null) => {
    setPage(1);
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (v) next.set(k, v);
        else next.delete(k);
        return next;
      },
      { replace: true },
    );
  };
  const query = {
    environment_key: filter("env") ?? undefined,
    actor: (filter("actor") as "user" | "sdk" | "system" | null) ?? undefined,
    entity: filter("entity") ?? undefined,
    feature_id: filter("feature") ?? undefined,
    since: filter("since") ?? undefined,
    until: filter("until") ?? undefined,
  };
  const audit = useQuery({
    queryKey: [...keys.audit(pid), query, page],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/audit", {
          params: { path: { project_id: pid }, query: { ...query, page, per_page: PER_PAGE } },
        }),
      ),
  });
  const envById = useMemo(() => new Map((envs.data ?? []).map((e) => [e.id, e.key])), [envs.data]);
  // Audit rows name features by id; show their keys, which people recognise.
  const features = useQuery({
    queryKey: [...keys.features(pid), "all-keys"],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/features", {
          params: { path: { project_id: pid }, query: { per_page: 500 } },
        }),
      ),
    staleTime: 60_000,
  });
  const featureKey = useMemo(
    () => new Map((features.data?.items ?? []).map((f) => [f.id, f.key])),
    [features.data],
  );
  const groups = useMemo(() => groupByRequest(audit.data?.items ?? []), [audit.data]);
  const filtering = Object.values(query).some(Boolean);

  return (
    <>
      <PageHeader
        title="History"
        description="Every change, who made it and what it changed. Changes made together are grouped."
        crumbs={[{ label: "Projects", to: "/" }, { label: project.data?.name ?? "…" }]}
      />
      <Paper withBorder p="sm" radius="md" mb="md" bg="white">
        <Group gap="sm">
          <Select
            aria-label="Environment"
            placeholder="Any environment"
            data={(envs.data ?? []).map((e) => e.key)}
            value={filter("env")}
            onChange={(v) => setFilter("env", v)}
            clearable
            w={170}
          />
          <Select
            aria-label="Actor"
            placeholder="Anyone"
            data={[
              { value: "user", label: "People" },
              { value: "sdk", label: "SDKs" },
              { value: "system", label: "System" },
            ]}
            value={filter("actor")}
            onChange={(v) => setFilter("actor", v)}
            clearable
            w={140}
          />
          <Select
            aria-label="What changed"
            placeholder="Anything"
            data={[
              "feature",
              "feature_state",
              "rule",
              "segment",
              "environment",
              "project",
              "project_settings",
              "membership",
              "tag",
              "category",
            ]}
            value={filter("entity")}
            onChange={(v) => setFilter("entity", v)}
            clearable
            searchable
            w={170}
          />
          <DateTimePickerLite
            label="Since"
            value={filter("since")}
            onChange={(v) => setFilter("since", v)}
          />
          <DateTimePickerLite
            label="Until"
            value={filter("until")}
            onChange={(v) => setFilter("until", v)}
          />
          {filter("feature") && (
            <Button variant="light" size="xs" onClick={() => setFilter("feature", null)}>
              Only one feature × clear
            </Button>
          )}
        </Group>
      </Paper>
      {audit.isPending && <LoadingRows rows={6} />}
      {audit.error && <ErrorState error={audit.error} onRetry={() => void audit.refetch()} />}
      {audit.data && groups.length === 0 && (
        <EmptyState
          title={filtering ? "Nothing matches" : "No history yet"}
          icon={<IconHistory size={26} />}
        >
          {filtering
            ? "Loosen the filters to see more."
            : "Changes to this project will be listed here."}
        </EmptyState>
      )}
      {groups.length > 0 && (
        <Paper withBorder radius="md" p="lg" bg="white">
          <Timeline bulletSize={22} lineWidth={2} aria-label="Changes">
            {groups.map((g) => (
              <Timeline.Item
                key={g.key}
                bullet={
                  <Text size="xs" fw={700}>
                    {g.entries.length}
                  </Text>
                }
                title={
                  <Group gap="xs">
                    <Text fw={600} size="sm">
                      {g.username || g.actor}
                    </Text>
                    <Text size="xs" c="dimmed" title={formatDate(g.at)}>
                      {timeAgo(g.at)}
                    </Text>
                    {g.requestId && (
                      <Text size="xs" c="dimmed" className="mono">
                        request {g.requestId.slice(0, 8)}
                      </Text>
                    )}
                  </Group>
                }
              >
                <Stack gap="xs" mt={4}>
                  {g.entries.map((e, i) => (
                    <Entry
                      key={e.id ?? i}
                      entry={e}
                      pid={pid}
                      envKey={e.environment_id ? envById.get(e.environment_id) : undefined}
                      featureKey={e.feature_id ? featureKey.get(e.feature_id) : undefined}
                    />
                  ))}
                </Stack>
              </Timeline.Item>
            ))}
          </Timeline>
          {audit.data && audit.data.total > PER_PAGE && (
            <Group justify="center" mt="md">
              <Pagination
                total={Math.ceil(audit.data.total / PER_PAGE)}
                value={page}
                onChange={setPage}
              />
            </Group>
          )}
        </Paper>
      )}
    </>
  );
}
