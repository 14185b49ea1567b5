import {
  Affix,
  Alert,
  Badge,
  Button,
  Card,
  Grid,
  Group,
  Paper,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
  Transition,
} from "@mantine/core";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import { IconDeviceFloppy, IconSend, IconTrash } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import { isPendingChange, type FeatureDetailRead, type StateRead } from "../../api/types";
import { useAuth } from "../../auth/AuthProvider";
import { useSentForApproval } from "../../components/approval";
import { EnvironmentPicker } from "../../components/EnvironmentPicker";
import { ExplainPanel } from "../../components/ExplainPanel";
import { PageHeader } from "../../components/PageHeader";
import { RulesEditor } from "../../components/rules/RulesEditor";
import { VariantsEditor } from "../../components/rules/VariantsEditor";
import { ErrorState, PageLoader } from "../../components/states";
import { timeAgo } from "../../components/time";
import { confirmToggle } from "../../components/toggle";
import { keys, useAttributes, useEnvironments, useProject, useSegments } from "../../hooks/queries";
import { useEnvKey } from "../../hooks/useEnvKey";
import { newId } from "../../lib/conditions";
import { fromRead, ruleIndexOf, ruleProblem, toWrite, type RuleDraft } from "../../lib/rules";
import { splitByText } from "../../lib/split";
import { parseValue, valueText, variantProblem, type VariantDraft } from "../../lib/variants";
import { featureExtraPanels } from "./extensions";
import { FeatureDetails } from "./FeatureDetails";

interface Draft {
  defaultValue: string;
  variants: VariantDraft[];
  rules: RuleDraft[];
}

function toDraft(state: StateRead): Draft {
  return {
    defaultValue: state.default_value,
    variants: state.variants.map((v) => ({
      id: newId("v"),
      name: v.name,
      rollout_percent: v.rollout_percent,
      value: valueText(v.value),
    })),
    rules: fromRead(state.rules),
  };
}

/** A fingerprint of the editable part (not the switch, which applies at once), to know whether
 * the draft differs from the server. */
function fingerprint(d: Draft): string {
  return JSON.stringify({
    d: d.defaultValue,
    v: d.variants.map((v) => [v.name, v.rollout_percent, parseValue(v.value)]),
    r: toWrite(d.rules).map((r) => ({ ...r, condition: r.condition ?? "segment" })),
  });
}

/** How many pending changes wait for approval on this feature in this environment. */
function usePendingOf(pid: string, featureId: string, env: string): number {
  const changes = useQuery({
    queryKey: ["pending-changes", pid, "pending"],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/pending-changes", {
          params: { path: { project_id: pid }, query: { status: "pending", per_page: 100 } },
        }),
      ),
    retry: false,
  });
  return (changes.data?.items ?? []).filter(
    (c) => c.feature_id === featureId && (c.environment_key === env || !c.environment_key),
  ).length;
}

function StateEditor({
  feature,
  state,
  env,
  guarded,
}: {
  feature: FeatureDetailRead;
  state: StateRead;
  env: string;
  guarded: boolean;
}) {
  const pid = feature.project_id;
  const client = useQueryClient();
  const { can } = useAuth();
  const segments = useSegments(pid);
  const attributes = useAttributes();
  const [draft, setDraft] = useState<Draft>(() => toDraft(state));
  const [showProblems, setShowProblems] = useState(false);
  const base = useRef(fingerprint(toDraft(state)));
  const remoteChanged = useRef(false);
  const dirty = fingerprint(draft) !== base.current;
  const [stale, setStale] = useState(false);
  const [comment, setComment] = useState("");
  const awaiting = usePendingOf(pid, feature.id, env);

  // A change saved elsewhere (another tab or person, arriving by WebSocket): take it when we
  // have no edits, otherwise warn instead of silently overwriting theirs.
  useEffect(() => {
    const incoming = fingerprint(toDraft(state));
    if (incoming === base.current) return;
    if (!dirty || remoteChanged.current) {
      base.current = incoming;
      remoteChanged.current = false;
      setDraft(toDraft(state));
      setStale(false);
    } else {
      setStale(true);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state]);

  const canManage = can(pid, "feature.manage");
  const canToggle = can(pid, "feature.toggle");
  const multivariant = feature.kind === "multivariant";
  const variantNames = draft.variants.map((v) => v.name);

  const sentForApproval = useSentForApproval();
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT("/api/v1/features/{feature_id}/environments/{env_key}", {
          params: { path: { feature_id: feature.id, env_key: env } },
          body: {
            enabled: state.enabled,
            default_value: draft.defaultValue,
            variants: draft.variants.map((v) => ({
              name: v.name.trim(),
              rollout_percent: v.rollout_percent,
              value: parseValue(v.value) as never,
            })),
            rules: toWrite(draft.rules),
            comment: comment.trim(),
          },
        }),
      ),
    onSuccess: (saved) => {
      if (isPendingChange(saved)) {
        sentForApproval(saved, `${feature.key} in ${env}`);
        // the request is on its way: the page shows the saved state again, and the banner
        // above says what waits for approval
        setDraft(toDraft(state));
        setShowProblems(false);
        setComment("");
        return;
      }
      remoteChanged.current = true;
      base.current = fingerprint(toDraft(saved));
      setDraft(toDraft(saved));
      setShowProblems(false);
      setStale(false);
      client.setQueryData<FeatureDetailRead>(keys.feature(feature.id), (old) =>
        old
          ? {
              ...old,
              environments: old.environments.map((e) => (e.environment_key === env ? saved : e)),
            }
          : old,
      );
      void client.invalidateQueries({ queryKey: keys.features(pid) });
      notifications.show({ color: "teal", message: `Saved ${feature.key} in ${env}` });
    },
  });

  const toggle = useMutation({
    mutationFn: (enabled: boolean) =>
      unwrap(
        api.PUT("/api/v1/features/{feature_id}/environments/{env_key}/toggle", {
          params: { path: { feature_id: feature.id, env_key: env } },
          body: { enabled },
        }),
      ),
    onSuccess: (result) => {
      if (isPendingChange(result)) {
        sentForApproval(
          result,
          `turn ${feature.key} ${result.arguments.enabled ? "on" : "off"} in ${env}`,
        );
      }
      void client.invalidateQueries({ queryKey: keys.feature(feature.id) });
    },
    onError: (e) =>
      notifications.show({ color: "red", title: "Could not toggle", message: describeError(e) }),
  });

  const submit = () => {
    const local =
      variantProblem(draft.variants) ??
      draft.rules.map((r) => ruleProblem(r, variantNames)).find(Boolean) ??
      null;
    setShowProblems(true);
    if (local) {
      notifications.show({
        color: "red",
        title: "Not saved",
        message: "Fix the fields marked in red first.",
      });
      return;
    }
    save.mutate();
  };

  const err = save.error instanceof ApiError ? save.error : null;
  const ruleIdx = err ? ruleIndexOf(err.message) : null;
  const serverRuleError =
    err && ruleIdx !== null ? { index: ruleIdx, message: describeError(err), error: err } : null;
  const variantError = err && err.message.startsWith("variants") ? err.message : null;
  const defaultError = err && err.field === "default_value" ? err.detail : undefined;
  const otherError =
    err && !serverRuleError && !variantError && !defaultError
      ? err
      : save.error && !err
        ? save.error
        : null;

  const resync = useMutation({
    mutationFn: (rule: RuleDraft) =>
      unwrap(
        api.POST("/api/v1/segments/{segment_id}/rules/{rule_id}/sync", {
          params: { path: { segment_id: rule.segmentId!, rule_id: rule.id! } },
        }),
      ),
    onSuccess: (r) => {
      void client.invalidateQueries({ queryKey: keys.feature(feature.id) });
      if (isPendingChange(r)) {
        // guarded here: the rule keeps its condition until the sync is approved
        sentForApproval(r, `re-sync a rule of ${feature.key} in ${env}`);
        return;
      }
      remoteChanged.current = true;
      notifications.show({ color: "teal", message: "Rule follows its segment again" });
    },
    onError: (e) =>
      notifications.show({ color: "red", title: "Could not re-sync", message: describeError(e) }),
  });

  const enabled = toggle.isPending ? Boolean(toggle.variables) : state.enabled;

  return (
    <Stack gap="md">
      {awaiting > 0 && (
        <Alert color="orange" variant="light" data-testid="awaiting-approval" role="status">
          <Group justify="space-between">
            <Text size="sm">
              {awaiting === 1 ? "1 change" : `${awaiting} changes`} to {feature.key} in {env}{" "}
              awaiting approval. What you see is what is live until then.
            </Text>
            <Button size="xs" variant="white" component={Link} to={`/projects/${pid}/changes`}>
              See pending changes
            </Button>
          </Group>
        </Alert>
      )}
      {stale && (
        <Alert color="yellow" title="Changed elsewhere" role="status">
          <Group justify="space-between">
            <Text size="sm">Someone saved this environment while you were editing.</Text>
            <Button
              size="xs"
              variant="white"
              onClick={() => {
                base.current = fingerprint(toDraft(state));
                setDraft(toDraft(state));
                setStale(false);
              }}
            >
              Load their version
            </Button>
          </Group>
        </Alert>
      )}
      <Card withBorder radius="md" padding="lg">
        <Group justify="space-between" align="flex-start">
          <Stack gap={4}>
            <Group gap="sm">
              <Switch
                size="lg"
                checked={enabled}
                disabled={!canToggle || toggle.isPending}
                color={env === "prod" ? "red" : "teal"}
                onChange={(e) => {
                  const next = e.currentTarget.checked;
                  confirmToggle(env, feature.key, next, () => toggle.mutate(next), guarded);
                }}
                aria-label={`Enabled in ${env}`}
                data-testid="state-toggle"
              />
              <Title order={2} size="h4">
                {enabled ? "On" : "Off"} in {env}
              </Title>
            </Group>
            <Text size="xs" c="dimmed">
              Changed {timeAgo(state.updated_at)} · last evaluated{" "}
              {timeAgo(state.last_evaluated_at)}
            </Text>
          </Stack>
          <TextInput
            label="Default value"
            description={multivariant ? "Served when no variant is chosen" : "Served when on"}
            value={draft.defaultValue}
            onChange={(e) => setDraft({ ...draft, defaultValue: e.currentTarget.value })}
            readOnly={!canManage}
            error={defaultError}
            w={260}
            classNames={{ input: "mono" }}
          />
        </Group>
      </Card>

      {multivariant && (
        <Card withBorder radius="md" padding="lg">
          <Title order={2} size="h4" mb={4}>
            Variants
          </Title>
          <Text size="sm" c="dimmed" mb="sm" data-testid="split-by-note">
            {splitByText(feature.rollout_key)}
          </Text>
          <VariantsEditor
            value={draft.variants}
            onChange={(variants) => setDraft({ ...draft, variants })}
            readOnly={!canManage}
            error={variantError}
          />
        </Card>
      )}

      <Card withBorder radius="md" padding="lg">
        <Title order={2} size="h4" mb="sm">
          Targeting rules
        </Title>
        <RulesEditor
          rules={draft.rules}
          onChange={(rules) => setDraft({ ...draft, rules })}
          variants={variantNames}
          segments={segments.data}
          attributes={(attributes.data ?? []).map((a) => a.name)}
          readOnly={!canManage}
          showProblems={showProblems}
          serverError={serverRuleError}
          onResync={(r) => resync.mutate(r)}
          multivariant={multivariant}
        />
      </Card>

      {otherError && (
        <Alert color="red" role="alert" title="Not saved">
          {describeError(otherError)}
        </Alert>
      )}

      <Affix position={{ bottom: 20, right: 24 }}>
        <Transition transition="slide-up" mounted={dirty && canManage}>
          {(styles) => (
            <Paper shadow="lg" withBorder p="sm" radius="md" style={styles}>
              <Group gap="sm">
                <Text size="sm" fw={500}>
                  Unsaved changes in {env}
                </Text>
                <Button
                  variant="default"
                  size="xs"
                  onClick={() => {
                    setDraft(toDraft(state));
                    setShowProblems(false);
                    save.reset();
                  }}
                >
                  Discard
                </Button>
                {guarded && (
                  <TextInput
                    size="xs"
                    w={240}
                    aria-label="Comment for the approvers"
                    placeholder="Why? (for the approvers)"
                    value={comment}
                    maxLength={500}
                    onChange={(e) => setComment(e.currentTarget.value)}
                  />
                )}
                <Button
                  size="xs"
                  leftSection={guarded ? <IconSend size={14} /> : <IconDeviceFloppy size={14} />}
                  loading={save.isPending}
                  onClick={submit}
                >
                  {guarded ? "Send for approval" : "Save changes"}
                </Button>
              </Group>
            </Paper>
          )}
        </Transition>
      </Affix>
    </Stack>
  );
}

export function FeaturePage() {
  const { projectId: pid = "", featureId = "" } = useParams();
  const project = useProject(pid);
  const envs = useEnvironments(pid);
  const [env, setEnv] = useEnvKey(pid, envs.data);
  const { can } = useAuth();
  const navigate = useNavigate();
  const client = useQueryClient();
  const feature = useQuery({
    queryKey: keys.feature(featureId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/features/{feature_id}", { params: { path: { feature_id: featureId } } }),
      ),
  });
  const governance = useQuery({
    queryKey: ["governance", pid],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/governance", {
          params: { path: { project_id: pid } },
        }),
      ),
    retry: false,
  });
  const state = useMemo(
    () => feature.data?.environments.find((e) => e.environment_key === env),
    [feature.data, env],
  );
  const remove = useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE("/api/v1/features/{feature_id}", {
          params: { path: { feature_id: featureId } },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.features(pid) });
      notifications.show({ color: "teal", message: "Feature deleted" });
      navigate(`/projects/${pid}/features`);
    },
    onError: (e) =>
      notifications.show({ color: "red", title: "Could not delete", message: describeError(e) }),
  });

  if (feature.isPending || envs.isPending) return <PageLoader />;
  if (feature.error)
    return <ErrorState error={feature.error} onRetry={() => void feature.refetch()} />;
  const f = feature.data;
  const canManage = can(pid, "feature.manage");
  const confirmDelete = () =>
    modals.openConfirmModal({
      title: `Delete ${f.key}?`,
      children: (
        <Text size="sm">
          It disappears from every environment. SDKs asking for it get the fallback value of your
          code.
        </Text>
      ),
      labels: { confirm: "Delete feature", cancel: "Cancel" },
      confirmProps: { color: "red" },
      onConfirm: () => remove.mutate(),
    });

  return (
    <>
      <PageHeader
        title={f.name}
        badge={
          <Group gap={6}>
            <Badge variant="outline" color={f.kind === "multivariant" ? "grape" : "gray"}>
              {f.kind}
            </Badge>
            {f.tags.map((t) => (
              <Badge
                key={t}
                variant="light"
                color={["guarded", "critical", "auto-disable"].includes(t) ? "orange" : "gray"}
              >
                {t}
              </Badge>
            ))}
          </Group>
        }
        description={<span className="mono">{f.key}</span>}
        crumbs={[
          { label: "Projects", to: "/" },
          { label: project.data?.name ?? "…", to: `/projects/${pid}/features` },
          { label: "Features", to: `/projects/${pid}/features${env ? `?env=${env}` : ""}` },
        ]}
        actions={
          <>
            {envs.data && <EnvironmentPicker envs={envs.data} value={env} onChange={setEnv} />}
            {canManage && (
              <Button
                variant="subtle"
                color="red"
                leftSection={<IconTrash size={16} />}
                onClick={confirmDelete}
              >
                Delete
              </Button>
            )}
          </>
        }
      />
      <Grid gutter="lg">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          {state && env ? (
            <StateEditor
              key={`${f.id}-${env}`}
              feature={f}
              state={state}
              env={env}
              guarded={
                f.tags.includes("guarded") ||
                Boolean(envs.data?.find((e) => e.key === env)?.requires_approval) ||
                Boolean(governance.data?.requires_approval)
              }
            />
          ) : (
            <Alert color="gray">This feature has no state in this environment.</Alert>
          )}
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Stack gap="md">
            <Card withBorder radius="md" padding="lg">
              <Title order={2} size="h4" mb="sm">
                Explain
              </Title>
              {env && <ExplainPanel pid={pid} env={env} featureKey={f.key} />}
            </Card>
            <Card withBorder radius="md" padding="lg">
              <Title order={2} size="h4" mb="sm">
                All environments
              </Title>
              <Stack gap={6}>
                {f.environments.map((s) => (
                  <Group key={s.environment_id} justify="space-between">
                    <Text
                      component={Link}
                      to={`?env=${s.environment_key}`}
                      className="mono"
                      fw={s.environment_key === env ? 700 : 400}
                    >
                      {s.environment_key}
                    </Text>
                    <Badge
                      color={s.enabled ? "teal" : "gray"}
                      variant={s.enabled ? "filled" : "light"}
                    >
                      {s.enabled ? "on" : "off"}
                    </Badge>
                  </Group>
                ))}
              </Stack>
            </Card>
            {featureExtraPanels(f, env)}
            <Card withBorder radius="md" padding="lg">
              <Title order={2} size="h4" mb="sm">
                Details
              </Title>
              <FeatureDetails feature={f} readOnly={!canManage} />
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
    </>
  );
}
