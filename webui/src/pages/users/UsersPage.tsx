import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Code,
  Group,
  Menu,
  Modal,
  Paper,
  PasswordInput,
  Stack,
  Table,
  Text,
  TextInput,
  ActionIcon,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import { IconDots, IconUserPlus } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import type { UserRead } from "../../api/types";
import { useAuth } from "../../auth/AuthProvider";
import { PageHeader } from "../../components/PageHeader";
import { ErrorState, InlineError, LoadingRows } from "../../components/states";
import { timeAgo } from "../../components/time";
import { keys } from "../../hooks/queries";
import { PASSWORD_RULE, passwordProblem } from "../../lib/password";

function CreateUserModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [superuser, setSuperuser] = useState(false);
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/users", {
          body: {
            username: username.trim(),
            email: email.trim(),
            password,
            is_superuser: superuser,
          },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.users });
      notifications.show({
        color: "teal",
        message: `${username} can now sign in; they must change the password first.`,
      });
      setUsername("");
      setEmail("");
      setPassword("");
      onClose();
    },
  });
  const err = create.error instanceof ApiError ? create.error : null;
  const fieldError = (f: string) => (err?.field === f ? describeError(err) : undefined);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Modal opened={opened} onClose={onClose} title="New user">
      <form onSubmit={submit}>
        <Stack>
          <TextInput
            label="Username"
            value={username}
            onChange={(e) => setUsername(e.currentTarget.value)}
            error={fieldError("username") ?? (err?.status === 409 ? describeError(err) : undefined)}
            required
            data-autofocus
          />
          <TextInput
            label="E-mail"
            type="email"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={fieldError("email")}
            required
          />
          <PasswordInput
            label="Temporary password"
            description={`${PASSWORD_RULE} They choose their own at first sign-in.`}
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={passwordProblem(err, "password")}
            required
          />
          <Checkbox
            label="Superuser (sees and manages everything)"
            checked={superuser}
            onChange={(e) => setSuperuser(e.currentTarget.checked)}
          />
          {create.error &&
            !err?.field &&
            err?.status !== 409 &&
            !passwordProblem(err, "password") && <InlineError error={create.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button
              type="submit"
              loading={create.isPending}
              disabled={!username || !email || !password}
            >
              Create user
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function UserActions({ user }: { user: UserRead }) {
  const client = useQueryClient();
  const { me } = useAuth();
  const done = () => void client.invalidateQueries({ queryKey: keys.users });
  const fail = (e: unknown) =>
    notifications.show({ color: "red", title: "Not done", message: describeError(e) });
  const update = useMutation({
    mutationFn: (body: { is_active?: boolean; is_superuser?: boolean }) =>
      unwrap(
        api.PATCH("/api/v1/users/{user_id}", { params: { path: { user_id: user.id } }, body }),
      ),
    onSuccess: done,
    onError: fail,
  });
  const reset = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/users/{user_id}/reset-password", {
          params: { path: { user_id: user.id } },
        }),
      ),
    onSuccess: (r) =>
      modals.open({
        title: `New temporary password for ${user.username}`,
        children: (
          <Stack>
            <Code block>{r.password}</Code>
            <Text size="sm">
              Give it to them safely; it is shown only now. They must change it when they sign in.
            </Text>
          </Stack>
        ),
      }),
    onError: fail,
  });
  const resetTwoFactor = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/users/{user_id}/2fa/reset", { params: { path: { user_id: user.id } } }),
      ),
    onSuccess: () => {
      done();
      notifications.show({
        color: "teal",
        message: `Two-factor authentication of ${user.username} is off; they can set it up again.`,
      });
    },
    onError: fail,
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(api.DELETE("/api/v1/users/{user_id}", { params: { path: { user_id: user.id } } })),
    onSuccess: done,
    onError: fail,
  });
  if (user.id === me?.id) return null;
  return (
    <Menu withinPortal position="bottom-end">
      <Menu.Target>
        <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${user.username}`}>
          <IconDots size={16} />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => update.mutate({ is_active: !user.is_active })}>
          {user.is_active ? "Deactivate" : "Activate"}
        </Menu.Item>
        <Menu.Item onClick={() => update.mutate({ is_superuser: !user.is_superuser })}>
          {user.is_superuser ? "Remove superuser" : "Make superuser"}
        </Menu.Item>
        {!user.is_external && <Menu.Item onClick={() => reset.mutate()}>Reset password</Menu.Item>}
        {user.two_fa_enabled && (
          <Menu.Item
            onClick={() =>
              modals.openConfirmModal({
                title: `Reset two-factor authentication of ${user.username}?`,
                children: (
                  <Text size="sm">
                    For a lost phone: their authenticator and recovery codes stop working, and they
                    sign in with the password alone until they set 2FA up again.
                  </Text>
                ),
                labels: { confirm: "Reset 2FA", cancel: "Cancel" },
                confirmProps: { color: "red" },
                onConfirm: () => resetTwoFactor.mutate(),
              })
            }
          >
            Reset 2FA
          </Menu.Item>
        )}
        <Menu.Divider />
        <Menu.Item
          color="red"
          onClick={() =>
            modals.openConfirmModal({
              title: `Delete ${user.username}?`,
              children: (
                <Text size="sm">Their memberships go with them. The history keeps their name.</Text>
              ),
              labels: { confirm: "Delete user", cancel: "Cancel" },
              confirmProps: { color: "red" },
              onConfirm: () => remove.mutate(),
            })
          }
        >
          Delete
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

export function UsersPage() {
  const { me } = useAuth();
  const [opened, { open, close }] = useDisclosure(false);
  const [search, setSearch] = useState("");
  const users = useQuery({
    queryKey: [...keys.users, search],
    enabled: Boolean(me?.is_superuser),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/users", {
          params: { query: { search: search || undefined, per_page: 500 } },
        }),
      ),
  });
  if (me && !me.is_superuser) return <Alert color="yellow">Only superusers manage users.</Alert>;
  return (
    <>
      <PageHeader
        title="Users"
        description="Everyone who can sign in. Give them access to a project on its Members page."
        actions={
          <Button leftSection={<IconUserPlus size={16} />} onClick={open}>
            New user
          </Button>
        }
      />
      <TextInput
        aria-label="Search users"
        placeholder="Search by name or e-mail"
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        mb="md"
        w={300}
      />
      {users.isPending && <LoadingRows rows={4} />}
      {users.error && <ErrorState error={users.error} onRetry={() => void users.refetch()} />}
      {users.data && (
        <Paper withBorder radius="md" bg="white">
          <Table aria-label="Users">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>User</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Last sign-in</Table.Th>
                <Table.Th w={50}>
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data.items.map((u) => (
                <Table.Tr key={u.id}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {u.username}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {u.email}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {u.is_superuser && (
                        <Badge color="indigo" variant="light">
                          superuser
                        </Badge>
                      )}
                      {!u.is_active && <Badge color="gray">inactive</Badge>}
                      {u.is_tmp_password && (
                        <Badge color="yellow" variant="light">
                          temporary password
                        </Badge>
                      )}
                      {u.two_fa_enabled && (
                        <Badge color="teal" variant="light">
                          2FA
                        </Badge>
                      )}
                      {u.is_external && (
                        <Badge color="cyan" variant="light">
                          SSO
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c="dimmed">
                      {timeAgo(u.last_login)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <UserActions user={u} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
      <CreateUserModal opened={opened} onClose={close} />
    </>
  );
}
