import {
  Badge,
  Button,
  Checkbox,
  Group,
  Paper,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { useDebouncedValue, useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconFlag, IconPlus, IconSearch } from "@tabler/icons-react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { describeError } from "../../api/errors";
import { isPendingChange, type FeatureListItem, type TagRead } from "../../api/types";
import { useAuth } from "../../auth/AuthProvider";
import { EnvironmentPicker } from "../../components/EnvironmentPicker";
import { PageHeader } from "../../components/PageHeader";
import { EmptyState, ErrorState, LoadingRows } from "../../components/states";
import { timeAgo } from "../../components/time";
import { confirmToggle } from "../../components/toggle";
import { keys, useCategories, useEnvironments, useProject, useTags } from "../../hooks/queries";
import { useEnvKey } from "../../hooks/useEnvKey";
import { applyClientFilters, type SortKey } from "../../lib/features";
import { CreateFeatureModal } from "./CreateFeatureModal";

export function TagBadges({ slugs, tags }: { slugs: string[]; tags: TagRead[] | undefined }) {
  return (
    <Group gap={4}>
      {slugs.map((s) => {
        const tag = tags?.find((t) => t.slug === s);
        return (
          <Badge
            key={s}
            size="sm"
            variant="light"
            color="gray"
            style={tag ? { borderLeft: `3px solid ${tag.color}` } : undefined}
          >
            {tag?.name ?? s}
          </Badge>
        );
      })}
    </Group>
  );
}

function ToggleCell({
  item,
  pid,
  env,
  canToggle,
}: {
  item: FeatureListItem;
  pid: string;
  env: string;
  canToggle: boolean;
}) {
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: (enabled: boolean) =>
      unwrap(
        api.PUT("/api/v1/features/{feature_id}/environments/{env_key}/toggle", {
          params: { path: { feature_id: item.id, env_key: env } },
          body: { enabled },
        }),
      ),
    onSuccess: (state) => {
      if (isPendingChange(state)) {
        notifications.show({
          color: "orange",
          title: "Sent for approval",
          message: `${item.key} is guarded: the toggle applies once it is approved.`,
        });
        void client.invalidateQueries({ queryKey: ["pending-changes"] });
        return;
      }
      notifications.show({
        color: state.enabled ? "teal" : "gray",
        message: `${item.key} is now ${state.enabled ? "on" : "off"} in ${env}`,
      });
    },
    onError: (e) =>
      notifications.show({
        color: "red",
        title: `Could not toggle ${item.key}`,
        message: describeError(e),
      }),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: keys.features(pid) });
      void client.invalidateQueries({ queryKey: keys.feature(item.id) });
    },
  });
  const enabled = toggle.isPending ? Boolean(toggle.variables) : Boolean(item.state?.enabled);
  return (
    <Switch
      checked={enabled}
      disabled={!canToggle || toggle.isPending}
      onChange={(e) => {
        const next = e.currentTarget.checked;
        confirmToggle(env, item.key, next, () => toggle.mutate(next));
      }}
      aria-label={`${item.key} in ${env}`}
      color={env === "prod" ? "red" : "teal"}
      data-testid={`toggle-${item.key}`}
    />
  );
}

export function FeaturesPage() {
  const { projectId: pid = "" } = useParams();
  const project = useProject(pid);
  const envs = useEnvironments(pid);
  const [env, setEnv] = useEnvKey(pid, envs.data);
  const tags = useTags(pid);
  const categories = useCategories();
  const { can } = useAuth();
  const navigate = useNavigate();
  const [opened, { open, close }] = useDisclosure(false);

  const [search, setSearch] = useState("");
  const [debounced] = useDebouncedValue(search, 250);
  const [kind, setKind] = useState<string | null>(null);
  const [enabled, setEnabled] = useState<string | null>(null);
  const [tag, setTag] = useState<string | null>(null);
  const [category, setCategory] = useState<string | null>(null);
  const [staleOnly, setStaleOnly] = useState(false);
  const [sort, setSort] = useState<SortKey>("name");

  const features = useQuery({
    queryKey: [...keys.features(pid), env, debounced, kind, enabled, tag],
    enabled: env !== null,
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/features", {
          params: {
            path: { project_id: pid },
            query: {
              environment_key: env ?? undefined,
              search: debounced || undefined,
              kind: kind ?? undefined,
              tag: tag ?? undefined,
              enabled: enabled === null ? undefined : enabled === "on",
              per_page: 500,
            },
          },
        }),
      ),
  });

  // The server judges staleness (no change for the project's stale_after_days and fully on or
  // off everywhere); loaded always, so the list can badge stale rows too.
  const stale = useQuery({
    queryKey: ["stale-features", pid],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/stale-features", {
          params: { path: { project_id: pid }, query: { per_page: 500 } },
        }),
      ),
    staleTime: 60_000,
  });
  const staleById = useMemo(
    () => new Map((stale.data?.items ?? []).map((s) => [s.feature_id, s])),
    [stale.data],
  );
  const staleIds = useMemo(() => new Set(staleById.keys()), [staleById]);
  const rows = useMemo(
    () =>
      applyClientFilters(features.data?.items ?? [], {
        category,
        only: staleOnly ? staleIds : null,
        sort,
      }),
    [features.data, category, staleOnly, staleIds, sort],
  );
  const staleDays = stale.data?.stale_after_days;
  const filtering = Boolean(debounced || kind || enabled || tag || category || staleOnly);
  const canManage = can(pid, "feature.manage");
  const canToggle = can(pid, "feature.toggle");

  const newButton = canManage && (
    <Button leftSection={<IconPlus size={16} />} onClick={open}>
      New feature
    </Button>
  );

  return (
    <>
      <PageHeader
        title="Features"
        crumbs={[{ label: "Projects", to: "/" }, { label: project.data?.name ?? "…" }]}
        actions={
          <>
            {envs.data && <EnvironmentPicker envs={envs.data} value={env} onChange={setEnv} />}
            {newButton}
          </>
        }
      />
      <Paper withBorder p="sm" radius="md" mb="md" bg="white">
        <Group gap="sm" wrap="wrap">
          <TextInput
            aria-label="Search features"
            placeholder="Search by key or name"
            leftSection={<IconSearch size={16} />}
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            w={240}
          />
          <Select
            aria-label="Kind"
            placeholder="Any kind"
            data={[
              { value: "simple", label: "Simple" },
              { value: "multivariant", label: "Multivariant" },
            ]}
            value={kind}
            onChange={setKind}
            clearable
            w={150}
          />
          <Select
            aria-label="Enabled"
            placeholder="On or off"
            data={[
              { value: "on", label: `On in ${env ?? "env"}` },
              { value: "off", label: `Off in ${env ?? "env"}` },
            ]}
            value={enabled}
            onChange={setEnabled}
            clearable
            w={140}
          />
          <Select
            aria-label="Tag"
            placeholder="Any tag"
            data={(tags.data ?? []).map((t) => ({ value: t.slug, label: t.name }))}
            value={tag}
            onChange={setTag}
            clearable
            searchable
            w={160}
          />
          <Select
            aria-label="Category"
            placeholder="Any category"
            data={(categories.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
            value={category}
            onChange={setCategory}
            clearable
            w={160}
          />
          <Checkbox
            label={staleDays ? `Stale (unchanged for ${staleDays} days)` : "Stale"}
            checked={staleOnly}
            onChange={(e) => setStaleOnly(e.currentTarget.checked)}
          />
          <Select
            aria-label="Sort by"
            data={[
              { value: "name", label: "Sort: name" },
              { value: "key", label: "Sort: key" },
              { value: "updated", label: "Sort: recently changed" },
              { value: "evaluated", label: "Sort: recently evaluated" },
            ]}
            value={sort}
            onChange={(v) => setSort((v as SortKey) ?? "name")}
            allowDeselect={false}
            w={200}
            ml="auto"
          />
        </Group>
      </Paper>

      {(features.isPending || envs.isPending) && <LoadingRows rows={6} label="Loading features" />}
      {features.error && (
        <ErrorState error={features.error} onRetry={() => void features.refetch()} />
      )}
      {features.data && rows.length === 0 && (
        <EmptyState
          title={filtering ? "No feature matches" : "No features yet"}
          icon={<IconFlag size={26} />}
          action={!filtering && newButton}
        >
          {filtering
            ? "Try another search or clear the filters."
            : "A feature is a switch your code asks about. Create one, then turn it on per environment."}
        </EmptyState>
      )}
      {features.data && rows.length > 0 && env && (
        <Paper withBorder radius="md" bg="white">
          <Table.ScrollContainer minWidth={760}>
            <Table aria-label="Features">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={80}>{env}</Table.Th>
                  <Table.Th>Feature</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Tags</Table.Th>
                  <Table.Th>Last evaluated</Table.Th>
                  <Table.Th>Changed</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((f) => (
                  <Table.Tr
                    key={f.id}
                    className="clickable-row"
                    onClick={() => navigate(`/projects/${pid}/features/${f.id}?env=${env}`)}
                  >
                    <Table.Td onClick={(e) => e.stopPropagation()}>
                      <ToggleCell item={f} pid={pid} env={env} canToggle={canToggle} />
                    </Table.Td>
                    <Table.Td>
                      <Stack gap={0}>
                        <Text
                          component={Link}
                          to={`/projects/${pid}/features/${f.id}?env=${env}`}
                          fw={600}
                          size="sm"
                          onClick={(e) => e.stopPropagation()}
                        >
                          {f.name}
                        </Text>
                        <Text className="mono" c="dimmed">
                          {f.key}
                        </Text>
                      </Stack>
                    </Table.Td>
                    <Table.Td>
                      <Badge
                        variant="outline"
                        color={f.kind === "multivariant" ? "grape" : "gray"}
                        size="sm"
                      >
                        {f.kind}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <TagBadges slugs={f.tags} tags={tags.data} />
                    </Table.Td>
                    <Table.Td>
                      <Group gap={6}>
                        <Text size="sm">{timeAgo(f.state?.last_evaluated_at)}</Text>
                        {staleById.has(f.id) && (
                          <Tooltip
                            label={`Unchanged for ${staleById.get(f.id)!.idle_days} days and fully on or off everywhere: maybe time to remove it`}
                          >
                            <Badge size="xs" color="yellow" variant="light">
                              stale
                            </Badge>
                          </Tooltip>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" c="dimmed">
                        {timeAgo(f.state?.updated_at ?? f.updated_at)}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
      <CreateFeatureModal pid={pid} env={env} opened={opened} onClose={close} />
    </>
  );
}
