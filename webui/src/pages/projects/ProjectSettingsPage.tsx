import {
  Button,
  Card,
  Group,
  NumberInput,
  Stack,
  Switch,
  TextInput,
  Textarea,
  Title,
  Text,
} from "@mantine/core";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { describeError } from "../../api/errors";
import { isPendingChange, type ProjectSettingsRead } from "../../api/types";
import { useAuth } from "../../auth/AuthProvider";
import { useSentForApproval } from "../../components/approval";
import { PageHeader } from "../../components/PageHeader";
import { ErrorState, InlineError, PageLoader } from "../../components/states";
import { keys, useProject } from "../../hooks/queries";
import { GovernanceCard } from "./GovernanceCard";

export function ProjectSettingsPage() {
  const { projectId: pid = "" } = useParams();
  const project = useProject(pid);
  const { can } = useAuth();
  const client = useQueryClient();
  const navigate = useNavigate();
  const canManage = can(pid, "project.manage");
  const settings = useQuery({
    queryKey: ["project-settings", pid],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_id}/settings", {
          params: { path: { project_id: pid } },
        }),
      ),
  });
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [s, setS] = useState<ProjectSettingsRead | null>(null);
  useEffect(() => {
    if (project.data) {
      setName(project.data.name);
      setDescription(project.data.description);
    }
  }, [project.data]);
  useEffect(() => {
    if (settings.data) setS(settings.data);
  }, [settings.data]);

  const sentForApproval = useSentForApproval();
  const saveProject = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH("/api/v1/projects/{project_id}", {
          params: { path: { project_id: pid } },
          body: { name, description },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.project(pid) });
      void client.invalidateQueries({ queryKey: keys.projects });
      notifications.show({ color: "teal", message: "Project saved" });
    },
  });
  const saveSettings = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT("/api/v1/projects/{project_id}/settings", {
          params: { path: { project_id: pid } },
          body: s ?? {},
        }),
      ),
    onSuccess: (r) => {
      if (isPendingChange(r)) {
        // Held for approval: the form goes back to the settings in force.
        sentForApproval(r, "fewer approvals per change");
        void settings.refetch().then((fresh) => fresh.data && setS(fresh.data));
        return;
      }
      client.setQueryData(["project-settings", pid], r);
      notifications.show({ color: "teal", message: "Settings saved" });
    },
  });
  // Archiving (and unarchiving) is held for approval when anything in the project is guarded.
  const archive = useMutation({
    mutationFn: (archived: boolean) =>
      unwrap(
        api.PATCH("/api/v1/projects/{project_id}", {
          params: { path: { project_id: pid } },
          body: { archived },
        }),
      ),
    onSuccess: (r, archived) => {
      if (isPendingChange(r)) {
        sentForApproval(r, `${archived ? "archive" : "unarchive"} ${project.data?.name ?? ""}`);
      } else {
        notifications.show({
          color: "teal",
          message: archived ? "Project archived" : "Project back from the archive",
        });
      }
      void client.invalidateQueries({ queryKey: keys.project(pid) });
      void client.invalidateQueries({ queryKey: keys.projects });
    },
    onError: (e) =>
      notifications.show({ color: "red", title: "Not done", message: describeError(e) }),
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE("/api/v1/projects/{project_id}", { params: { path: { project_id: pid } } }),
      ),
    onSuccess: (r) => {
      if (isPendingChange(r)) {
        sentForApproval(r, `delete ${project.data?.name ?? "the project"}`);
        return;
      }
      void client.invalidateQueries({ queryKey: keys.projects });
      navigate("/");
    },
    onError: (e) =>
      notifications.show({ color: "red", title: "Project not deleted", message: describeError(e) }),
  });
  if (project.isPending || settings.isPending) return <PageLoader />;
  if (project.error) return <ErrorState error={project.error} />;
  if (settings.error) return <ErrorState error={settings.error} />;
  const num = (k: keyof ProjectSettingsRead) => (v: string | number) =>
    s && setS({ ...s, [k]: Number(v) || 0 });

  return (
    <>
      <PageHeader
        title="Project settings"
        crumbs={[{ label: "Projects", to: "/" }, { label: project.data.name }]}
      />
      <Stack maw={720}>
        <Card withBorder radius="md" padding="lg">
          <Title order={2} size="h4" mb="sm">
            General
          </Title>
          <Stack>
            <TextInput
              label="Name"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              readOnly={!canManage}
            />
            <Textarea
              label="Description"
              value={description}
              onChange={(e) => setDescription(e.currentTarget.value)}
              readOnly={!canManage}
              autosize
            />
            {saveProject.error && <InlineError error={saveProject.error} />}
            {canManage && (
              <Group justify="flex-end">
                <Button onClick={() => saveProject.mutate()} loading={saveProject.isPending}>
                  Save
                </Button>
              </Group>
            )}
          </Stack>
        </Card>
        {s && (
          <Card withBorder radius="md" padding="lg">
            <Title order={2} size="h4" mb="sm">
              Safety and governance
            </Title>
            <Stack>
              <Switch
                label="Turn features tagged auto-disable off when they error too much"
                checked={s.auto_disable_enabled}
                onChange={(e) => setS({ ...s, auto_disable_enabled: e.currentTarget.checked })}
                disabled={!canManage}
              />
              <Group grow>
                <NumberInput
                  label="Errors before auto-disable"
                  value={s.auto_disable_error_threshold}
                  onChange={num("auto_disable_error_threshold")}
                  min={1}
                  readOnly={!canManage}
                />
                <NumberInput
                  label="Within (seconds)"
                  value={s.auto_disable_time_window_sec}
                  onChange={num("auto_disable_time_window_sec")}
                  min={1}
                  max={86400}
                  readOnly={!canManage}
                />
              </Group>
              <Switch
                label="Auto-disable needs an approval"
                checked={s.auto_disable_requires_approval}
                onChange={(e) =>
                  setS({ ...s, auto_disable_requires_approval: e.currentTarget.checked })
                }
                disabled={!canManage}
              />
              <Group grow>
                <NumberInput
                  label="Approvals a guarded change needs"
                  value={s.required_approvals}
                  onChange={num("required_approvals")}
                  min={1}
                  max={10}
                  readOnly={!canManage}
                />
                <NumberInput
                  label="Keep history for (days)"
                  value={s.audit_log_retention_days}
                  onChange={num("audit_log_retention_days")}
                  min={1}
                  max={3650}
                  readOnly={!canManage}
                />
              </Group>
              {saveSettings.error && <InlineError error={saveSettings.error} />}
              {canManage && (
                <Group justify="flex-end">
                  <Button onClick={() => saveSettings.mutate()} loading={saveSettings.isPending}>
                    Save settings
                  </Button>
                </Group>
              )}
            </Stack>
          </Card>
        )}
        <GovernanceCard projectId={pid} canManage={canManage} />
        {canManage && (
          <Card
            withBorder
            radius="md"
            padding="lg"
            style={{ borderColor: "var(--mantine-color-red-3)" }}
          >
            <Title order={2} size="h4" mb="xs">
              Archive
            </Title>
            <Text size="sm" mb="sm">
              {project.data.archived_at
                ? "This project is archived."
                : "An archived project keeps everything and can be brought back."}
            </Text>
            <Group mb="lg">
              <Button
                variant="default"
                loading={archive.isPending}
                onClick={() => archive.mutate(!project.data.archived_at)}
              >
                {project.data.archived_at ? "Unarchive project" : "Archive project"}
              </Button>
            </Group>
            <Title order={2} size="h4" mb="xs" c="red.8">
              Delete project
            </Title>
            <Text size="sm" mb="sm">
              Deletes every feature, segment and environment of the project. SDK keys stop working.
            </Text>
            <Button
              color="red"
              variant="light"
              onClick={() =>
                modals.openConfirmModal({
                  title: `Delete ${project.data.name}?`,
                  children: <Text size="sm">This cannot be undone.</Text>,
                  labels: { confirm: "Delete project", cancel: "Cancel" },
                  confirmProps: { color: "red" },
                  onConfirm: () => remove.mutate(),
                })
              }
            >
              Delete project
            </Button>
          </Card>
        )}
      </Stack>
    </>
  );
}
