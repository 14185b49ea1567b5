// Schedules of one feature in one environment: one-shot windows and recurring cron windows,
// the timeline of the next 7 days, and a what-if preview before saving a new schedule.
import {
  ActionIcon,
  Badge,
  Button,
  Card,
  Group,
  Modal,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
  Title,
  Tooltip,
} from "@mantine/core";
import { useDebouncedValue, useDisclosure } from "@mantine/hooks";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import { IconCalendarTime, IconPencil, IconTrash } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import {
  isPendingChange,
  type FeatureDetailRead,
  type ScheduleRead,
  type ScheduleWrite,
} from "../../api/types";
import { useAuth } from "../../auth/AuthProvider";
import { InlineError, LoadingRows } from "../../components/states";
import { formatDate, timeAgo } from "../../components/time";
import { cronText } from "../../lib/cron";
import { TimelineChart } from "./TimelineChart";

const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

function describeSchedule(s: ScheduleRead): string {
  if (s.kind === "recurring" && s.cron) {
    const c = cronText(s.cron);
    return `${c.ok ? c.text : s.cron}, for ${s.duration ?? "?"} (${s.timezone})`;
  }
  return `${formatDate(s.starts_at)} → ${s.ends_at ? formatDate(s.ends_at) : "open end"}`;
}

/** An ISO instant as the value of a datetime-local input (local wall time, minutes). */
const SCHEDULE_FIELDS = ["cron", "duration", "timezone", "starts_at", "ends_at"];

/** Which field of the form a schedule error is about, and what to say there. The what-if
 * endpoint prefixes "schedules[0]: "; an order or overlap message names no field of its own. */
function scheduleProblem(error: unknown): { field: string | null; text: string } | null {
  if (!(error instanceof ApiError)) return null;
  const message = error.message.replace(/^schedules\[\d+\]:\s*/, "");
  if (/starts_at.*must be before ends_at/.test(message))
    return { field: "ends_at", text: "The end must be after the start." };
  if (/overlaps/.test(message))
    return { field: "starts_at", text: "This window overlaps another one-shot window here." };
  const field = SCHEDULE_FIELDS.find(
    (f) => message.startsWith(`${f}:`) || message.startsWith(`${f} `),
  );
  const inner = new ApiError(error.status, error.code, message);
  if (field) return { field, text: describeError(inner) };
  if (error.field && SCHEDULE_FIELDS.includes(error.field))
    return { field: error.field, text: error.detail };
  return { field: null, text: describeError(inner) };
}

export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Creates a schedule, or edits `schedule` when given (its kind cannot change). */
function ScheduleModal({
  feature,
  env,
  opened,
  onClose,
  schedule,
}: {
  feature: FeatureDetailRead;
  env: string;
  opened: boolean;
  onClose: () => void;
  schedule?: ScheduleRead;
}) {
  const client = useQueryClient();
  const [kind, setKind] = useState<"one_shot" | "recurring">(schedule?.kind ?? "recurring");
  const [action, setAction] = useState<"enable" | "disable">(
    schedule?.action === "disable" ? "disable" : "enable",
  );
  const [cron, setCron] = useState(schedule?.cron ?? "0 9 * * MON-FRI");
  const [duration, setDuration] = useState(schedule?.duration ?? "8h");
  const [tz, setTz] = useState(schedule?.timezone ?? zone);
  const [starts, setStarts] = useState(toLocalInput(schedule?.starts_at));
  const [ends, setEnds] = useState(toLocalInput(schedule?.ends_at));
  const body: ScheduleWrite =
    kind === "recurring"
      ? { action, cron, duration, timezone: tz }
      : {
          action,
          starts_at: starts ? new Date(starts).toISOString() : null,
          ends_at: ends ? new Date(ends).toISOString() : null,
          timezone: "UTC",
        };
  const [debounced] = useDebouncedValue(body, 400);
  const cronInfo = cronText(cron);
  const whatIf = useQuery({
    queryKey: ["schedule", "what-if", feature.id, env, debounced],
    // Editing: the what-if would show the old and the new version together, so it is left out.
    enabled: opened && !schedule && (kind === "one_shot" ? Boolean(starts) : cronInfo.ok),
    retry: false,
    queryFn: () =>
      unwrap(
        api.POST("/api/v1/features/{feature_id}/environments/{env_key}/timeline/what-if", {
          params: { path: { feature_id: feature.id, env_key: env } },
          body: { schedules: [debounced], keep_existing: true },
        }),
      ),
  });
  const create = useMutation({
    mutationFn: () =>
      schedule
        ? unwrap(
            api.PATCH(
              "/api/v1/features/{feature_id}/environments/{env_key}/schedules/{schedule_id}",
              {
                params: {
                  path: { feature_id: feature.id, env_key: env, schedule_id: schedule.id },
                },
                body,
              },
            ),
          )
        : unwrap(
            api.POST("/api/v1/features/{feature_id}/environments/{env_key}/schedules", {
              params: { path: { feature_id: feature.id, env_key: env } },
              body,
            }),
          ),
    onSuccess: (r) => {
      void client.invalidateQueries({ queryKey: ["schedule"] });
      notifications.show(
        isPendingChange(r)
          ? {
              color: "orange",
              title: "Sent for approval",
              message: "The schedule starts once it is approved.",
            }
          : { color: "teal", message: "Schedule saved" },
      );
      onClose();
    },
  });
  // A save error, else the preview's: both are shown at the field they are about.
  const problem = scheduleProblem(create.error) ?? scheduleProblem(whatIf.error);
  const fieldErr = (f: string) => (problem?.field === f ? problem.text : undefined);
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={schedule ? `Edit schedule in ${env}` : `New schedule in ${env}`}
      size="lg"
    >
      <Stack>
        <Group grow>
          <SegmentedControl
            disabled={Boolean(schedule)}
            aria-label="Kind of schedule"
            value={kind}
            onChange={(v) => setKind(v as typeof kind)}
            data={[
              { value: "recurring", label: "Recurring (cron)" },
              { value: "one_shot", label: "One-shot window" },
            ]}
          />
          <SegmentedControl
            aria-label="What the schedule does"
            value={action}
            onChange={(v) => setAction(v as typeof action)}
            data={[
              { value: "enable", label: "Turn on" },
              { value: "disable", label: "Turn off" },
            ]}
          />
        </Group>
        {kind === "recurring" ? (
          <>
            <TextInput
              label="Cron"
              description="minute hour day-of-month month day-of-week"
              value={cron}
              onChange={(e) => setCron(e.currentTarget.value)}
              classNames={{ input: "mono" }}
              error={!cronInfo.ok ? cronInfo.text : fieldErr("cron")}
              data-autofocus
            />
            {cronInfo.ok && (
              <Text size="sm" data-testid="cron-preview">
                {cronInfo.text}
              </Text>
            )}
            <Group grow>
              <TextInput
                label="Each window lasts"
                description="e.g. 8h, 1h30m, 45m"
                value={duration}
                onChange={(e) => setDuration(e.currentTarget.value)}
                error={fieldErr("duration")}
              />
              <TextInput
                label="Time zone"
                description="IANA name"
                value={tz}
                onChange={(e) => setTz(e.currentTarget.value)}
                error={fieldErr("timezone")}
              />
            </Group>
          </>
        ) : (
          <Group grow>
            <TextInput
              type="datetime-local"
              label="Starts"
              value={starts}
              onChange={(e) => setStarts(e.currentTarget.value)}
              error={fieldErr("starts_at")}
            />
            <TextInput
              type="datetime-local"
              label="Ends (optional)"
              value={ends}
              onChange={(e) => setEnds(e.currentTarget.value)}
              error={fieldErr("ends_at")}
            />
          </Group>
        )}
        <Stack gap={4} display={schedule ? "none" : undefined}>
          <Text size="sm" fw={500}>
            What if: the next 7 days with this schedule
          </Text>
          {whatIf.data && (
            <TimelineChart
              events={whatIf.data.events}
              from={whatIf.data.from}
              to={whatIf.data.to}
              label="With the new schedule"
              color="var(--mantine-color-indigo-7)"
            />
          )}
          {whatIf.error && (
            <Text size="sm" c={problem?.field ? "dimmed" : "red.8"}>
              {problem?.field
                ? "Fix the field marked in red to see the preview."
                : describeError(whatIf.error)}
            </Text>
          )}
          {!whatIf.data && !whatIf.error && (
            <Text size="sm" c="dimmed">
              Fill in the schedule to see its effect.
            </Text>
          )}
        </Stack>
        {create.error && !scheduleProblem(create.error)?.field && (
          <InlineError error={create.error} />
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={() => create.mutate()}
            loading={create.isPending}
            disabled={kind === "recurring" ? !cronInfo.ok : !starts}
          >
            Save schedule
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function SchedulesPanel({ feature, env }: { feature: FeatureDetailRead; env: string }) {
  const { can } = useAuth();
  const client = useQueryClient();
  const [opened, { open, close }] = useDisclosure(false);
  const [editing, setEditing] = useState<ScheduleRead | null>(null);
  const canManage = can(feature.project_id, "schedule.manage");
  const path = { feature_id: feature.id, env_key: env };
  const schedules = useQuery({
    queryKey: ["schedule", "list", feature.id, env],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/features/{feature_id}/environments/{env_key}/schedules", {
          params: { path },
        }),
      ),
  });
  const timeline = useQuery({
    queryKey: ["schedule", "timeline", feature.id, env],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/features/{feature_id}/environments/{env_key}/timeline", {
          params: { path },
        }),
      ),
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.DELETE("/api/v1/features/{feature_id}/environments/{env_key}/schedules/{schedule_id}", {
          params: { path: { ...path, schedule_id: id } },
        }),
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["schedule"] }),
    onError: (e) =>
      notifications.show({ color: "red", title: "Not deleted", message: describeError(e) }),
  });
  const s = schedules.data;
  return (
    <Card withBorder radius="md" padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          Schedules
        </Title>
        <IconCalendarTime size={18} aria-hidden="true" />
      </Group>
      {schedules.isPending && <LoadingRows rows={2} />}
      {schedules.error && <InlineError error={schedules.error} />}
      {s && (
        <Stack gap="xs">
          {s.items.length === 0 && (
            <Text size="sm" c="dimmed">
              No schedule: the switch alone decides.
            </Text>
          )}
          {s.items.length > 0 && !s.enabled && (
            <Text size="xs" c="orange.9">
              The switch is off here: schedules act only while it is on.
            </Text>
          )}
          {s.items.map((x) => (
            <Group
              key={x.id}
              justify="space-between"
              wrap="nowrap"
              align="flex-start"
              data-testid="schedule-item"
            >
              <Stack gap={0}>
                <Group gap={6}>
                  <Badge size="sm" variant="light" color={x.action === "enable" ? "teal" : "gray"}>
                    {x.action === "enable" ? "on" : "off"}
                  </Badge>
                  {x.active_now && (
                    <Badge size="sm" color="indigo">
                      active now
                    </Badge>
                  )}
                </Group>
                <Text size="sm">{describeSchedule(x)}</Text>
              </Stack>
              {canManage && (
                <Group gap={2} wrap="nowrap">
                  <Tooltip label="Edit schedule">
                    <ActionIcon
                      variant="subtle"
                      color="gray"
                      aria-label="Edit schedule"
                      onClick={() => setEditing(x)}
                    >
                      <IconPencil size={16} />
                    </ActionIcon>
                  </Tooltip>
                  <Tooltip label="Delete schedule">
                    <ActionIcon
                      variant="subtle"
                      color="gray"
                      aria-label="Delete schedule"
                      onClick={() =>
                        modals.openConfirmModal({
                          title: "Delete this schedule?",
                          children: <Text size="sm">{describeSchedule(x)}</Text>,
                          labels: { confirm: "Delete", cancel: "Cancel" },
                          confirmProps: { color: "red" },
                          onConfirm: () => remove.mutate(x.id),
                        })
                      }
                    >
                      <IconTrash size={16} />
                    </ActionIcon>
                  </Tooltip>
                </Group>
              )}
            </Group>
          ))}
          {s.next_transition && (
            <Text size="xs" c="dimmed">
              Next: turns {s.next_transition.enabled ? "on" : "off"} {timeAgo(s.next_transition.at)}
            </Text>
          )}
          {timeline.data && (
            <TimelineChart
              events={timeline.data.events}
              from={timeline.data.from}
              to={timeline.data.to}
              label="Next 7 days"
            />
          )}
          {canManage && (
            <Button variant="light" size="xs" onClick={open}>
              Add schedule
            </Button>
          )}
        </Stack>
      )}
      {opened && <ScheduleModal feature={feature} env={env} opened={opened} onClose={close} />}
      {editing && (
        <ScheduleModal
          feature={feature}
          env={env}
          opened
          onClose={() => setEditing(null)}
          schedule={editing}
        />
      )}
    </Card>
  );
}
