// Two-factor authentication: set up with a QR code, confirm with a first code, keep the
// recovery codes, or turn it off again.
import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  Group,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { QRCodeSVG } from "qrcode.react";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { InlineError, LoadingRows } from "../../components/states";

export function TwoFactorPanel() {
  const client = useQueryClient();
  const status = useQuery({
    queryKey: ["me", "2fa"],
    queryFn: () => unwrap(api.GET("/api/v1/users/me/2fa")),
  });
  const [code, setCode] = useState("");
  const [codes, setCodes] = useState<string[] | null>(null);
  const refresh = () => void client.invalidateQueries({ queryKey: ["me"] });
  const setup = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/users/me/2fa/setup")),
    onSuccess: refresh,
  });
  const confirm = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/users/me/2fa/confirm", { body: { code: code.trim() } })),
    onSuccess: (r) => {
      setCodes(r.recovery_codes);
      setCode("");
      setup.reset();
      refresh();
    },
  });
  const disable = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/users/me/2fa/disable", { body: { code: code.trim() } })),
    onSuccess: () => {
      setCode("");
      refresh();
    },
  });
  const s = status.data;
  return (
    <Card withBorder radius="md" padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          Two-factor authentication
        </Title>
        {s && (
          <Badge color={s.enabled ? "teal" : "gray"} variant="light">
            {s.enabled ? "on" : "off"}
          </Badge>
        )}
      </Group>
      {status.isPending && <LoadingRows rows={2} />}
      {status.error && <InlineError error={status.error} />}
      {codes && (
        <Alert color="teal" title="Save your recovery codes" mb="sm">
          <Text size="sm" mb="xs">
            Each works once if you lose your phone. They are shown only now.
          </Text>
          <SimpleGrid cols={2} spacing={4}>
            {codes.map((c) => (
              <Code key={c}>{c}</Code>
            ))}
          </SimpleGrid>
        </Alert>
      )}
      {s && !s.enabled && !setup.data && (
        <Stack gap="xs">
          <Text size="sm" c="dimmed">
            Ask for a code from an authenticator app at every sign-in and approval.
          </Text>
          <Button variant="light" onClick={() => setup.mutate()} loading={setup.isPending}>
            Set up 2FA
          </Button>
          {setup.error && <InlineError error={setup.error} />}
        </Stack>
      )}
      {setup.data && (
        <Stack gap="sm">
          <Text size="sm">1. Scan this code with your authenticator app.</Text>
          <Group align="flex-start">
            <QRCodeSVG
              value={setup.data.otpauth_uri}
              size={148}
              title="QR code for your authenticator app"
            />
            <Stack gap={4}>
              <Text size="xs" c="dimmed">
                Or type the key:
              </Text>
              <Code>{setup.data.secret}</Code>
            </Stack>
          </Group>
          <Text size="sm">2. Enter the 6-digit code it shows.</Text>
          <Group align="flex-end">
            <TextInput
              label="Code"
              value={code}
              onChange={(e) => setCode(e.currentTarget.value)}
              autoComplete="one-time-code"
              inputMode="numeric"
              w={160}
              classNames={{ input: "mono" }}
            />
            <Button
              onClick={() => confirm.mutate()}
              loading={confirm.isPending}
              disabled={code.trim().length < 6}
            >
              Turn on
            </Button>
          </Group>
          {confirm.error && <InlineError error={confirm.error} />}
        </Stack>
      )}
      {s?.enabled && (
        <Stack gap="xs">
          <Text size="sm" c="dimmed">
            {s.recovery_codes_left} recovery codes left.
          </Text>
          <Group align="flex-end">
            <TextInput
              label="Current code"
              value={code}
              onChange={(e) => setCode(e.currentTarget.value)}
              autoComplete="one-time-code"
              w={160}
              classNames={{ input: "mono" }}
            />
            <Button
              color="red"
              variant="light"
              onClick={() => disable.mutate()}
              loading={disable.isPending}
              disabled={!code.trim()}
            >
              Turn off
            </Button>
          </Group>
          {disable.error && <InlineError error={disable.error} />}
        </Stack>
      )}
    </Card>
  );
}
