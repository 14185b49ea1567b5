import {
  Button,
  Card,
  Group,
  Modal,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Textarea,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconFolderPlus, IconPlus } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import { useAuth } from "../../auth/AuthProvider";
import { PageHeader } from "../../components/PageHeader";
import { EmptyState, ErrorState, InlineError, LoadingRows } from "../../components/states";
import { timeAgo } from "../../components/time";
import { keys, useProjects } from "../../hooks/queries";

function CreateProjectModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const client = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/projects", { body: { name: name.trim(), description } })),
    onSuccess: (project) => {
      void client.invalidateQueries({ queryKey: keys.projects });
      void client.invalidateQueries({ queryKey: keys.me });
      onClose();
      navigate(`/projects/${project.id}/features`);
    },
  });
  const err = create.error instanceof ApiError ? create.error : null;
  const nameError = err && (err.field === "name" || err.status === 409) ? err.message : undefined;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Modal opened={opened} onClose={onClose} title="New project">
      <form onSubmit={submit}>
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
            minRows={2}
          />
          <Text size="xs" c="dimmed">
            Three environments are created with it: dev, stage and prod.
          </Text>
          {create.error && !nameError && <InlineError error={create.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending} disabled={!name.trim()}>
              Create project
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function ProjectsPage() {
  const projects = useProjects();
  const { me } = useAuth();
  const [opened, { open, close }] = useDisclosure(false);
  const canCreate = me?.can_create_projects ?? false;
  const action = canCreate ? (
    <Button leftSection={<IconPlus size={16} />} onClick={open}>
      New project
    </Button>
  ) : null;

  return (
    <>
      <PageHeader
        title="Projects"
        description="Each project has its own features, environments and members."
        actions={action}
      />
      {projects.isPending && <LoadingRows rows={3} />}
      {projects.error && (
        <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />
      )}
      {projects.data && projects.data.items.length === 0 && (
        <EmptyState title="No projects yet" icon={<IconFolderPlus size={26} />} action={action}>
          {canCreate
            ? "Create a project to start adding feature flags."
            : "Ask an administrator to add you to a project."}
        </EmptyState>
      )}
      {projects.data && projects.data.items.length > 0 && (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
          {projects.data.items.map((p) => (
            <Card
              key={p.id}
              withBorder
              padding="lg"
              radius="md"
              component={Link}
              to={`/projects/${p.id}/features`}
              aria-label={`Open project ${p.name}`}
            >
              <Stack gap={6}>
                <Text fw={600} size="lg">
                  {p.name}
                </Text>
                <Text size="sm" c="dimmed" lineClamp={2} mih={40}>
                  {p.description || "No description"}
                </Text>
                <Text size="xs" c="dimmed">
                  Updated {timeAgo(p.updated_at)}
                </Text>
              </Stack>
            </Card>
          ))}
        </SimpleGrid>
      )}
      <CreateProjectModal opened={opened} onClose={close} />
    </>
  );
}
