// LDAP directory: connection settings, a connection test, and user synchronisation with its
// progress and log. The bind password is write-only: the server only says whether one is stored.
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  List,
  NumberInput,
  PasswordInput,
  Progress,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import type {
  LdapConfigRead,
  LdapConfigUpdate,
  LdapTestRead,
  LdapTestRequest,
  SyncRunRead,
} from "../../api/types";
import { InlineError, LoadingRows } from "../../components/states";
import { formatDate, timeAgo } from "../../components/time";

type Form = Omit<LdapConfigRead, "has_bind_password" | "updated_at">;

const ldapKey = ["ldap"] as const;

/** The body of a save or test: the form, plus the password only when one was typed. */
export function ldapBody(form: Form, password: string, clearPassword: boolean): LdapConfigUpdate {
  const body: LdapConfigUpdate = { ...form };
  if (clearPassword) body.bind_password = "";
  else if (password) body.bind_password = password;
  return body;
}

/** The test takes the connection fields only (the sync interval does not matter there). */
export function testBody(form: Form, password: string, clearPassword: boolean): LdapTestRequest {
  return Object.fromEntries(
    Object.entries(ldapBody(form, password, clearPassword)).filter(
      ([k]) => k !== "sync_interval_seconds",
    ),
  ) as LdapTestRequest;
}

function SyncRun({ run, label }: { run: SyncRunRead; label: string }) {
  const color = run.status === "completed" ? "teal" : run.status === "failed" ? "red" : "indigo";
  return (
    <Stack gap={4}>
      <Group gap="xs">
        <Text size="sm" fw={600}>
          {label}
        </Text>
        <Badge size="sm" color={color} variant="light">
          {run.status}
        </Badge>
        <Text size="xs" c="dimmed">
          {run.trigger} · by {run.started_by} · {timeAgo(run.started_at)}
        </Text>
      </Group>
      {run.status === "running" && (
        <Progress value={run.progress * 100} aria-label="Sync progress" animated />
      )}
      <Text size="sm">
        {run.processed}/{run.total} processed · {run.created} created · {run.updated} updated ·{" "}
        {run.reactivated} reactivated · {run.deactivated} deactivated · {run.skipped} skipped ·{" "}
        {run.errors} errors
      </Text>
      {run.message && (
        <Text size="xs" c="dimmed">
          {run.message}
        </Text>
      )}
    </Stack>
  );
}

function SyncCard() {
  const client = useQueryClient();
  const [level, setLevel] = useState<string | null>(null);
  const status = useQuery({
    queryKey: [...ldapKey, "status"],
    queryFn: () => unwrap(api.GET("/api/v1/ldap/sync/status")),
    // Follow a running sync closely, otherwise now and then.
    refetchInterval: (q) => (q.state.data?.is_running ? 1_000 : 15_000),
  });
  const running = status.data?.is_running ?? false;
  const logs = useQuery({
    queryKey: [...ldapKey, "logs", level, status.data?.last?.id, running],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/ldap/sync/logs", {
          params: {
            query: { per_page: 50, level: (level as "info" | "warning" | "error") ?? undefined },
          },
        }),
      ),
  });
  const sync = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/ldap/sync")),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ldapKey });
      notifications.show({ color: "teal", message: "Synchronisation started" });
    },
  });
  return (
    <Card withBorder radius="md" padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          Synchronisation
        </Title>
        <Button size="xs" onClick={() => sync.mutate()} loading={sync.isPending || running}>
          Sync now
        </Button>
      </Group>
      <Stack>
        {sync.error && <InlineError error={sync.error} />}
        {status.isPending && <LoadingRows rows={2} />}
        {status.error && <InlineError error={status.error} />}
        {status.data?.current && <SyncRun run={status.data.current} label="Running" />}
        {status.data?.last && <SyncRun run={status.data.last} label="Last sync" />}
        {status.data && !status.data.current && !status.data.last && (
          <Text size="sm" c="dimmed">
            No synchronisation yet.
          </Text>
        )}
        <Group justify="space-between" align="flex-end">
          <Text size="sm" fw={600}>
            Log
          </Text>
          <Select
            label="Level"
            data={["info", "warning", "error"]}
            value={level}
            onChange={setLevel}
            placeholder="All"
            clearable
            w={140}
            size="xs"
          />
        </Group>
        {logs.data && logs.data.items.length === 0 && (
          <Text size="sm" c="dimmed">
            Nothing logged.
          </Text>
        )}
        {logs.data && logs.data.items.length > 0 && (
          <Table fz="xs" aria-label="Sync log">
            <Table.Tbody>
              {logs.data.items.map((l) => (
                <Table.Tr key={l.id}>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>{formatDate(l.created_at)}</Table.Td>
                  <Table.Td>
                    <Badge
                      size="xs"
                      variant="light"
                      color={
                        l.level === "error" ? "red" : l.level === "warning" ? "orange" : "gray"
                      }
                    >
                      {l.level}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{l.username ?? ""}</Table.Td>
                  <Table.Td>{l.message}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Card>
  );
}

function TestResult({ result }: { result: LdapTestRead }) {
  return (
    <Alert
      color={result.success ? "teal" : "red"}
      title={result.success ? "Connection works" : "Connection failed"}
      data-testid="ldap-test-result"
    >
      <Stack gap={4}>
        <Text size="sm">{result.message}</Text>
        {result.steps.length > 0 && (
          <List size="sm">
            {result.steps.map((s, i) => (
              <List.Item key={i}>{s}</List.Item>
            ))}
          </List>
        )}
        {result.success && (
          <Text size="sm">
            {result.users_found} users found
            {result.sample_users.length > 0 && `, e.g. ${result.sample_users.join(", ")}`}
          </Text>
        )}
      </Stack>
    </Alert>
  );
}

export function LdapPanel() {
  const client = useQueryClient();
  const config = useQuery({
    queryKey: [...ldapKey, "config"],
    queryFn: () => unwrap(api.GET("/api/v1/ldap/config")),
  });
  const [form, setForm] = useState<Form | null>(null);
  const [password, setPassword] = useState("");
  const [clearPassword, setClearPassword] = useState(false);
  const [tested, setTested] = useState<LdapTestRead | null>(null);
  const [missing, setMissing] = useState<Record<string, string>>({});
  useEffect(() => {
    if (config.data) {
      const rest: Partial<LdapConfigRead> = { ...config.data };
      delete rest.has_bind_password;
      delete rest.updated_at;
      setForm(rest as Form);
    }
  }, [config.data]);
  const save = useMutation({
    mutationFn: () =>
      unwrap(api.PUT("/api/v1/ldap/config", { body: ldapBody(form!, password, clearPassword) })),
    onSuccess: (r) => {
      client.setQueryData([...ldapKey, "config"], r);
      setPassword("");
      setClearPassword(false);
      notifications.show({ color: "teal", message: "LDAP settings saved" });
    },
  });
  // The test runs with what is on screen, saved or not.
  const test = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/ldap/test", { body: testBody(form!, password, clearPassword) })),
    onMutate: () => setTested(null),
    onSuccess: setTested,
  });
  if (config.isPending || !form)
    return config.error ? <InlineError error={config.error} /> : <LoadingRows />;
  const err = save.error instanceof ApiError ? save.error : null;
  const fieldErr = (f: string) => missing[f] || (err?.field === f ? err.detail : undefined);
  // The test needs where to connect and where users are: say so at those fields, not as an
  // error of the test.
  const runTest = () => {
    const needed: Record<string, string> = {};
    if (!form.url.trim()) needed.url = "Enter the server URL to test the connection";
    if (!form.user_base_dn.trim())
      needed.user_base_dn = "Enter where users are searched to test the connection";
    setMissing(needed);
    if (Object.keys(needed).length === 0) test.mutate();
  };
  const text =
    (k: keyof Form) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      setForm({ ...form, [k]: e.currentTarget.value });
      if (missing[k]) setMissing({ ...missing, [k]: "" });
    };
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
      <Card withBorder radius="md" padding="lg">
        <Title order={2} size="h4" mb="sm">
          Directory
        </Title>
        <Stack>
          <Switch
            label="Sign in with directory accounts"
            checked={form.enabled}
            onChange={(e) => setForm({ ...form, enabled: e.currentTarget.checked })}
          />
          <TextInput
            label="Server URL"
            description="ldap://host:389 or ldaps://host:636"
            value={form.url}
            onChange={text("url")}
            error={fieldErr("url")}
          />
          <Group grow>
            <Switch
              label="StartTLS"
              checked={form.start_tls}
              onChange={(e) => setForm({ ...form, start_tls: e.currentTarget.checked })}
            />
            <Switch
              label="Verify the certificate"
              checked={form.tls_verify}
              onChange={(e) => setForm({ ...form, tls_verify: e.currentTarget.checked })}
            />
          </Group>
          <Textarea
            label="CA certificate (PEM)"
            description="Empty: the system's trusted CAs"
            value={form.tls_ca_cert}
            onChange={text("tls_ca_cert")}
            autosize
            minRows={1}
            maxRows={6}
            classNames={{ input: "mono" }}
            error={fieldErr("tls_ca_cert")}
          />
          <TextInput
            label="Bind DN"
            description="Service account that searches users; empty: anonymous"
            value={form.bind_dn}
            onChange={text("bind_dn")}
            error={fieldErr("bind_dn")}
          />
          <PasswordInput
            label="Bind password"
            description={
              config.data?.has_bind_password
                ? "A password is stored; type a new one to replace it"
                : "No password stored"
            }
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            disabled={clearPassword}
            autoComplete="new-password"
          />
          {config.data?.has_bind_password && (
            <Switch
              size="xs"
              label="Remove the stored password"
              checked={clearPassword}
              onChange={(e) => setClearPassword(e.currentTarget.checked)}
            />
          )}
          <TextInput
            label="User base DN"
            description="Where users are searched"
            value={form.user_base_dn}
            onChange={text("user_base_dn")}
            error={fieldErr("user_base_dn")}
          />
          <TextInput
            label="User filter"
            value={form.user_filter}
            onChange={text("user_filter")}
            classNames={{ input: "mono" }}
            error={fieldErr("user_filter")}
          />
          <Group grow>
            <TextInput
              label="Username attribute"
              value={form.username_attribute}
              onChange={text("username_attribute")}
              error={fieldErr("username_attribute")}
            />
            <TextInput
              label="E-mail attribute"
              value={form.email_attribute}
              onChange={text("email_attribute")}
              error={fieldErr("email_attribute")}
            />
          </Group>
          <Group grow>
            <NumberInput
              label="Timeout (seconds)"
              value={form.timeout_seconds}
              onChange={(v) => setForm({ ...form, timeout_seconds: Number(v) || 1 })}
              min={1}
              max={120}
              allowDecimal={false}
            />
            <NumberInput
              label="Sync every (seconds)"
              description="0: only by hand"
              value={form.sync_interval_seconds}
              onChange={(v) => setForm({ ...form, sync_interval_seconds: Number(v) || 0 })}
              min={0}
              allowDecimal={false}
            />
          </Group>
          {save.error && !err?.field && <InlineError error={save.error} />}
          {test.error && <InlineError error={test.error} />}
          {tested && <TestResult result={tested} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={runTest} loading={test.isPending}>
              Test connection
            </Button>
            <Button onClick={() => save.mutate()} loading={save.isPending}>
              Save
            </Button>
          </Group>
          {config.data?.updated_at && (
            <Text size="xs" c="dimmed">
              Last saved {timeAgo(config.data.updated_at)}
            </Text>
          )}
        </Stack>
      </Card>
      <SyncCard />
    </SimpleGrid>
  );
}
