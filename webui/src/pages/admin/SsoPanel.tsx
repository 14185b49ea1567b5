// SAML single sign-on providers. Providers from the server's settings file are shown read-only;
// the ones made here can be edited and deleted.
import {
  ActionIcon,
  Badge,
  Button,
  Card,
  Group,
  Modal,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
  Tooltip,
} from "@mantine/core";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import { IconPencil, IconTrash } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import type { ProviderRead, ProviderWrite } from "../../api/types";
import { CopyField } from "../../components/CopyField";
import { EmptyState, InlineError, LoadingRows } from "../../components/states";

const ssoKey = ["sso-admin"] as const;
const NAME = /^[a-z0-9][a-z0-9_-]{0,49}$/;

const EMPTY: ProviderWrite = {
  display_name: "",
  enabled: true,
  protocol: "saml",
  idp_metadata_url: "",
  idp_metadata_xml: "",
  idp_entity_id: "",
  attribute_mapping: { username: "", email: "" },
  require_signed_assertion: true,
  create_users: true,
  link_by_email: false,
};

/** Drops empty attribute names: an unmapped field falls back to the server's default. */
export function cleanMapping(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v.trim() !== ""));
}

function ProviderModal({ provider, onClose }: { provider?: ProviderRead; onClose: () => void }) {
  const client = useQueryClient();
  const [name, setName] = useState(provider?.name ?? "");
  const [p, setP] = useState<ProviderWrite>(
    provider
      ? {
          display_name: provider.display_name,
          enabled: provider.enabled,
          protocol: "saml",
          idp_metadata_url: provider.idp_metadata_url,
          idp_metadata_xml: provider.idp_metadata_xml,
          idp_entity_id: provider.idp_entity_id,
          attribute_mapping: { username: "", email: "", ...provider.attribute_mapping },
          require_signed_assertion: provider.require_signed_assertion,
          create_users: provider.create_users,
          link_by_email: provider.link_by_email,
        }
      : EMPTY,
  );
  const mapping = p.attribute_mapping ?? {};
  const nameBad = name !== "" && !NAME.test(name);
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT("/api/v1/sso/providers/{name}", {
          params: { path: { name } },
          body: { ...p, attribute_mapping: cleanMapping(mapping) },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ssoKey });
      void client.invalidateQueries({ queryKey: ["sso-providers"] });
      notifications.show({ color: "teal", message: `Provider ${p.display_name} saved` });
      onClose();
    },
  });
  const err = save.error instanceof ApiError ? save.error : null;
  const fieldErr = (f: string) => (err?.field === f ? err.detail : undefined);
  return (
    <Modal
      opened
      onClose={onClose}
      title={provider ? `Edit ${provider.display_name}` : "New SAML provider"}
      size="lg"
    >
      <Stack>
        <Group grow align="flex-start">
          <TextInput
            label="Name"
            description="In URLs: lowercase letters, digits, - and _"
            value={name}
            onChange={(e) => setName(e.currentTarget.value.trim())}
            error={nameBad ? "Up to 50 lowercase letters, digits, - and _" : undefined}
            disabled={Boolean(provider)}
            data-autofocus
          />
          <TextInput
            label="Button text"
            description='e.g. "Okta"'
            value={p.display_name}
            onChange={(e) => setP({ ...p, display_name: e.currentTarget.value })}
            error={fieldErr("display_name")}
          />
        </Group>
        <TextInput
          label="IdP metadata URL"
          description="Or paste the metadata XML below"
          value={p.idp_metadata_url}
          onChange={(e) => setP({ ...p, idp_metadata_url: e.currentTarget.value })}
          error={fieldErr("idp_metadata_url")}
        />
        <Textarea
          label="IdP metadata XML"
          value={p.idp_metadata_xml}
          onChange={(e) => setP({ ...p, idp_metadata_xml: e.currentTarget.value })}
          autosize
          minRows={2}
          maxRows={8}
          classNames={{ input: "mono" }}
          error={fieldErr("idp_metadata_xml")}
        />
        <TextInput
          label="IdP entity id"
          description="Only when the metadata lists several identity providers"
          value={p.idp_entity_id}
          onChange={(e) => setP({ ...p, idp_entity_id: e.currentTarget.value })}
        />
        <Group grow>
          <TextInput
            label="Username attribute"
            description="Empty: the NameID"
            value={mapping.username ?? ""}
            onChange={(e) =>
              setP({ ...p, attribute_mapping: { ...mapping, username: e.currentTarget.value } })
            }
          />
          <TextInput
            label="E-mail attribute"
            value={mapping.email ?? ""}
            onChange={(e) =>
              setP({ ...p, attribute_mapping: { ...mapping, email: e.currentTarget.value } })
            }
          />
        </Group>
        <Switch
          label="Enabled (shown on the sign-in page)"
          checked={p.enabled}
          onChange={(e) => setP({ ...p, enabled: e.currentTarget.checked })}
        />
        <Switch
          label="Require a signed assertion"
          description="Off accepts a signed response instead"
          checked={p.require_signed_assertion}
          onChange={(e) => setP({ ...p, require_signed_assertion: e.currentTarget.checked })}
        />
        <Switch
          label="Create an account on a first sign-in"
          checked={p.create_users}
          onChange={(e) => setP({ ...p, create_users: e.currentTarget.checked })}
        />
        <Switch
          label="Let a first sign-in claim an account with the same e-mail"
          description="Only with an identity provider that verifies addresses"
          checked={p.link_by_email}
          onChange={(e) => setP({ ...p, link_by_email: e.currentTarget.checked })}
        />
        {save.error && !err?.field && <InlineError error={save.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={() => save.mutate()}
            loading={save.isPending}
            disabled={!name || nameBad || !p.display_name.trim()}
          >
            Save provider
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function SsoPanel() {
  const client = useQueryClient();
  const [editing, setEditing] = useState<ProviderRead | "new" | null>(null);
  const providers = useQuery({
    queryKey: ssoKey,
    queryFn: () => unwrap(api.GET("/api/v1/sso/providers")),
  });
  const remove = useMutation({
    mutationFn: (name: string) =>
      unwrap(api.DELETE("/api/v1/sso/providers/{name}", { params: { path: { name } } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ssoKey });
      void client.invalidateQueries({ queryKey: ["sso-providers"] });
    },
    onError: (e) =>
      notifications.show({ color: "red", title: "Not deleted", message: describeError(e) }),
  });
  return (
    <Card withBorder radius="md" padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          SAML providers
        </Title>
        <Button size="xs" onClick={() => setEditing("new")}>
          Add provider
        </Button>
      </Group>
      {providers.isPending && <LoadingRows rows={2} />}
      {providers.error && <InlineError error={providers.error} />}
      {providers.data && providers.data.length === 0 && (
        <EmptyState title="No single sign-on provider">
          Add your identity provider (Okta, Azure AD, Keycloak, …) to show a “Sign in with …”
          button.
        </EmptyState>
      )}
      {providers.data && providers.data.length > 0 && (
        <Table fz="sm" aria-label="SAML providers" verticalSpacing="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Provider</Table.Th>
              <Table.Th>Give the identity provider</Table.Th>
              <Table.Th aria-label="Actions" />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {providers.data.map((p) => (
              <Table.Tr key={p.name}>
                <Table.Td>
                  <Stack gap={2}>
                    <Group gap={6}>
                      <Text fw={600} size="sm">
                        {p.display_name}
                      </Text>
                      <Badge size="xs" variant="light" color={p.enabled ? "teal" : "gray"}>
                        {p.enabled ? "enabled" : "disabled"}
                      </Badge>
                      {p.source === "settings" && (
                        <Badge size="xs" variant="outline" color="gray">
                          from settings
                        </Badge>
                      )}
                    </Group>
                    <Text size="xs" c="dimmed" className="mono">
                      {p.name}
                    </Text>
                  </Stack>
                </Table.Td>
                <Table.Td>
                  <Stack gap={4}>
                    <CopyField label="SP metadata" value={p.metadata_url} secret={false} />
                    <CopyField label="ACS URL" value={p.acs_url} secret={false} />
                  </Stack>
                </Table.Td>
                <Table.Td>
                  {p.source === "api" && (
                    <Group gap={2} wrap="nowrap">
                      <Tooltip label="Edit provider">
                        <ActionIcon
                          variant="subtle"
                          color="gray"
                          aria-label={`Edit provider ${p.name}`}
                          onClick={() => setEditing(p)}
                        >
                          <IconPencil size={16} />
                        </ActionIcon>
                      </Tooltip>
                      <Tooltip label="Delete provider">
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          aria-label={`Delete provider ${p.name}`}
                          onClick={() =>
                            modals.openConfirmModal({
                              title: `Delete ${p.display_name}?`,
                              children: (
                                <Text size="sm">
                                  Its users keep their accounts but can no longer sign in with it.
                                </Text>
                              ),
                              labels: { confirm: "Delete", cancel: "Cancel" },
                              confirmProps: { color: "red" },
                              onConfirm: () => remove.mutate(p.name),
                            })
                          }
                        >
                          <IconTrash size={16} />
                        </ActionIcon>
                      </Tooltip>
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {editing && (
        <ProviderModal
          provider={editing === "new" ? undefined : editing}
          onClose={() => setEditing(null)}
        />
      )}
    </Card>
  );
}
