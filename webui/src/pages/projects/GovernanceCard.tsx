// Project-wide governance: guard every feature, who may approve, the error-share trigger of
// auto-disable and when a feature counts as stale (`/projects/{id}/governance`).
import {
  Button,
  Card,
  Group,
  MultiSelect,
  NumberInput,
  Stack,
  Switch,
  Text,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { api, unwrap } from "../../api/client";
import { isPendingChange, type GovernanceSettingsRead } from "../../api/types";
import { useSentForApproval } from "../../components/approval";
import { InlineError, PageLoader } from "../../components/states";
import { keys } from "../../hooks/queries";

export const governanceKey = (pid: string) => ["governance", pid] as const;

export function GovernanceCard({
  projectId: pid,
  canManage,
}: {
  projectId: string;
  canManage: boolean;
}) {
  const client = useQueryClient();
  const governance = useQuery({
    queryKey: governanceKey(pid),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/governance", {
          params: { path: { project_id: pid } },
        }),
      ),
  });
  // Approvers are chosen among the project's members (anyone can read those).
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
  const [g, setG] = useState<GovernanceSettingsRead | null>(null);
  // The error share is edited in percent; null means "only the error count triggers".
  const [sharePct, setSharePct] = useState<number | "">("");
  const show = (data: GovernanceSettingsRead) => {
    setG(data);
    const share = data.auto_disable_error_share;
    setSharePct(share == null ? "" : Math.round(share * 1000) / 10);
  };
  useEffect(() => {
    if (governance.data) show(governance.data);
  }, [governance.data]);
  const sentForApproval = useSentForApproval();

  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT("/api/v1/projects/{project_id}/governance", {
          params: { path: { project_id: pid } },
          body: {
            requires_approval: g!.requires_approval,
            approver_ids: g!.approver_ids,
            auto_disable_error_share: sharePct === "" ? null : sharePct / 100,
            auto_disable_min_volume: g!.auto_disable_min_volume,
            stale_after_days: g!.stale_after_days,
          },
        }),
      ),
    onSuccess: (r) => {
      if (isPendingChange(r)) {
        // Held for approval: the form goes back to what is in force.
        sentForApproval(r, "approval settings");
        void governance.refetch().then((fresh) => fresh.data && show(fresh.data));
        return;
      }
      client.setQueryData(governanceKey(pid), r);
      void client.invalidateQueries({ queryKey: ["stale-features", pid] });
      notifications.show({ color: "teal", message: "Governance saved" });
    },
  });

  if (governance.isPending) return <PageLoader />;
  if (governance.error || !g)
    return governance.error ? <InlineError error={governance.error} /> : null;

  // Approvers who left the project still show (by id) so they can be removed.
  const options = [
    ...(members.data ?? []).map((m) => ({
      value: m.user_id,
      label: `${m.username} (${m.role_key})`,
    })),
    ...g.approver_ids
      .filter((id) => !(members.data ?? []).some((m) => m.user_id === id))
      .map((id) => ({ value: id, label: `${id} (not a member)` })),
  ];
  const shareInvalid = sharePct !== "" && (sharePct <= 0 || sharePct > 100);

  return (
    <Card withBorder radius="md" padding="lg" data-testid="governance-card">
      <Title order={2} size="h4" mb="sm">
        Approvals and staleness
      </Title>
      <Stack>
        <Switch
          label="Every change to every feature of this project needs an approval"
          description="As if each feature were tagged guarded"
          checked={g.requires_approval}
          onChange={(e) => setG({ ...g, requires_approval: e.currentTarget.checked })}
          disabled={!canManage}
        />
        <MultiSelect
          label="Approvers"
          description="Only these people may approve; leave empty for the project's owners and managers"
          placeholder={g.approver_ids.length ? undefined : "Owners and managers"}
          data={options}
          value={g.approver_ids}
          onChange={(v) => setG({ ...g, approver_ids: v })}
          searchable
          clearable
          maxValues={50}
          disabled={!canManage}
          nothingFoundMessage="No member with that name"
        />
        <Group grow align="flex-start">
          <NumberInput
            label="Also auto-disable at this error share (%)"
            description="Of the outcomes reported; empty: only the error count counts"
            value={sharePct}
            onChange={(v) => setSharePct(v === "" ? "" : Number(v))}
            min={0.1}
            max={100}
            decimalScale={1}
            error={shareInvalid ? "Between 0.1 and 100 %" : undefined}
            readOnly={!canManage}
          />
          <NumberInput
            label="…once at least this many outcomes"
            description="So that two errors in three calls do not switch a feature off"
            value={g.auto_disable_min_volume}
            onChange={(v) => setG({ ...g, auto_disable_min_volume: Number(v) || 1 })}
            min={1}
            max={10_000_000}
            allowDecimal={false}
            readOnly={!canManage}
          />
        </Group>
        <NumberInput
          label="A feature is stale after (days)"
          description="Without a change and fully on or off in every environment"
          value={g.stale_after_days}
          onChange={(v) => setG({ ...g, stale_after_days: Number(v) || 1 })}
          min={1}
          max={3650}
          allowDecimal={false}
          readOnly={!canManage}
          maw={340}
        />
        {save.error && <InlineError error={save.error} />}
        {canManage ? (
          <Group justify="flex-end">
            <Button onClick={() => save.mutate()} loading={save.isPending} disabled={shareInvalid}>
              Save governance
            </Button>
          </Group>
        ) : (
          <Text size="sm" c="dimmed">
            Only owners and managers of the project change these.
          </Text>
        )}
      </Stack>
    </Card>
  );
}
