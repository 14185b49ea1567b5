// Attach, configure and detach an adaptive algorithm for one feature in one environment.
import {
  Alert,
  Badge,
  Button,
  Group,
  Modal,
  Select,
  Stack,
  Switch,
  Text,
  Title,
  Card,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import { IconChartBar, IconFlask } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import { isPendingChange, type AttachmentRead, type FeatureDetailRead } from "../../api/types";
import { useAuth } from "../../auth/AuthProvider";
import { SchemaForm } from "../../components/SchemaForm";
import { InlineError, LoadingRows } from "../../components/states";
import { fieldProblem, fieldsOf } from "../../lib/schemaForm";

const KIND_LABEL: Record<string, string> = {
  bandit: "Bandits: pick the best variant",
  contextual_bandit: "Contextual bandits: best variant per context",
  optimizer: "Optimisers: tune a number",
};

export function useAlgorithms() {
  return useQuery({
    queryKey: ["experiment", "algorithms"],
    queryFn: async () => (await unwrap(api.GET("/api/v1/algorithms"))).items,
    staleTime: Infinity,
  });
}

export function useAttachment(featureId: string, env: string) {
  return useQuery({
    queryKey: ["experiment", "attachment", featureId, env],
    queryFn: async () => {
      const { data, response, error } = await api.GET(
        "/api/v1/features/{feature_id}/environments/{env_key}/algorithm",
        {
          params: { path: { feature_id: featureId, env_key: env } },
        },
      );
      if (response.status === 404) return null; // nothing attached
      if (!response.ok) throw new ApiError(response.status, "error", describeError(error));
      return data ?? null;
    },
  });
}

function ConfigureModal({
  feature,
  env,
  current,
  opened,
  onClose,
}: {
  feature: FeatureDetailRead;
  env: string;
  current: AttachmentRead | null;
  opened: boolean;
  onClose: () => void;
}) {
  const algorithms = useAlgorithms();
  const client = useQueryClient();
  const [slug, setSlug] = useState<string | null>(current?.algorithm ?? null);
  const [enabled, setEnabled] = useState(current?.enabled ?? true);
  const [settings, setSettings] = useState<Record<string, unknown>>(current?.settings ?? {});
  const algo = algorithms.data?.find((a) => a.slug === slug);
  useEffect(() => {
    if (!algo) return;
    setSettings(
      current && current.algorithm === algo.slug ? current.settings : { ...algo.default_settings },
    );
  }, [algo, current]);
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT("/api/v1/features/{feature_id}/environments/{env_key}/algorithm", {
          params: { path: { feature_id: feature.id, env_key: env } },
          body: { algorithm: slug ?? "", enabled, settings },
        }),
      ),
    onSuccess: (r) => {
      void client.invalidateQueries({ queryKey: ["experiment"] });
      notifications.show(
        isPendingChange(r)
          ? {
              color: "orange",
              title: "Sent for approval",
              message: "The algorithm changes once it is approved.",
            }
          : { color: "teal", message: `${algo?.name ?? "Algorithm"} attached in ${env}` },
      );
      onClose();
    },
  });
  const problems = algo
    ? fieldsOf(algo.settings_schema).some((f) => fieldProblem(f, settings[f.name]))
    : true;
  const err = save.error instanceof ApiError ? save.error : null;
  const groups = ["bandit", "contextual_bandit", "optimizer"].map((k) => ({
    group: KIND_LABEL[k] ?? k,
    items: (algorithms.data ?? [])
      .filter((a) => a.kind === k)
      .map((a) => ({ value: a.slug, label: a.name })),
  }));
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={current ? "Configure the algorithm" : "Attach an algorithm"}
      size="xl"
    >
      <Stack>
        <Select
          label="Algorithm"
          placeholder="Choose one"
          data={groups}
          value={slug}
          onChange={setSlug}
          searchable
          allowDeselect={false}
          data-autofocus
        />
        {algo && (
          <>
            <Text size="sm" c="dimmed">
              {algo.description}
            </Text>
            <SchemaForm
              schema={algo.settings_schema}
              value={settings}
              onChange={setSettings}
              serverError={err ? { field: err.field, message: err.detail } : null}
            />
            <Switch
              label="Let the algorithm drive evaluation now"
              checked={enabled}
              onChange={(e) => setEnabled(e.currentTarget.checked)}
            />
          </>
        )}
        {save.error && <InlineError error={save.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={() => save.mutate()}
            loading={save.isPending}
            disabled={!algo || problems}
          >
            {current ? "Save settings" : "Attach"}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function ExperimentPanel({ feature, env }: { feature: FeatureDetailRead; env: string }) {
  const attachment = useAttachment(feature.id, env);
  const algorithms = useAlgorithms();
  const { can } = useAuth();
  const client = useQueryClient();
  const [opened, { open, close }] = useDisclosure(false);
  const canManage = can(feature.project_id, "experiment.manage");
  const detach = useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE("/api/v1/features/{feature_id}/environments/{env_key}/algorithm", {
          params: { path: { feature_id: feature.id, env_key: env } },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["experiment"] });
      notifications.show({
        color: "teal",
        message: "Algorithm detached; the split applies again.",
      });
    },
    onError: (e) =>
      notifications.show({ color: "red", title: "Not detached", message: describeError(e) }),
  });
  const a = attachment.data;
  const name = algorithms.data?.find((x) => x.slug === a?.algorithm)?.name ?? a?.algorithm;
  return (
    <Card withBorder radius="md" padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          Experiment
        </Title>
        <IconFlask size={18} aria-hidden="true" />
      </Group>
      {attachment.isPending && <LoadingRows rows={2} />}
      {attachment.error && <InlineError error={attachment.error} />}
      {attachment.isSuccess && !a && (
        <Stack gap="xs">
          <Text size="sm" c="dimmed">
            Let a bandit shift traffic to the best variant, or an optimiser tune a value, from the
            feedback your SDK tracks.
          </Text>
          {canManage && (
            <Button variant="light" onClick={open} disabled={feature.kind !== "multivariant"}>
              Attach an algorithm
            </Button>
          )}
          {feature.kind !== "multivariant" && (
            <Text size="xs" c="dimmed">
              Needs a multivariant feature.
            </Text>
          )}
        </Stack>
      )}
      {a && (
        <Stack gap="xs">
          <Group gap="xs">
            <Text fw={600} size="sm">
              {name}
            </Text>
            <Badge color={a.enabled ? "teal" : "gray"} variant="light">
              {a.enabled ? "driving" : "paused"}
            </Badge>
          </Group>
          <Text size="xs" c="dimmed" className="mono">
            {Object.entries(a.settings)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(" · ")}
          </Text>
          <Group gap="xs">
            <Button
              size="xs"
              leftSection={<IconChartBar size={14} />}
              component={Link}
              to={`/projects/${feature.project_id}/features/${feature.id}/results?env=${env}`}
            >
              Live results
            </Button>
            {canManage && (
              <>
                <Button size="xs" variant="default" onClick={open}>
                  Configure
                </Button>
                <Button
                  size="xs"
                  variant="subtle"
                  color="red"
                  onClick={() =>
                    modals.openConfirmModal({
                      title: "Detach the algorithm?",
                      children: (
                        <Text size="sm">
                          Traffic goes back to the fixed split. Results stay in the history.
                        </Text>
                      ),
                      labels: { confirm: "Detach", cancel: "Cancel" },
                      confirmProps: { color: "red" },
                      onConfirm: () => detach.mutate(),
                    })
                  }
                >
                  Detach
                </Button>
              </>
            )}
          </Group>
        </Stack>
      )}
      {attachment.isSuccess && opened && (
        <ConfigureModal
          feature={feature}
          env={env}
          current={a ?? null}
          opened={opened}
          onClose={close}
        />
      )}
      {algorithms.error && <Alert color="red">{describeError(algorithms.error)}</Alert>}
    </Card>
  );
}
