// The page the reset e-mail links to (`/reset-password?token=...`): choose a new password.
import { Anchor, Button, PasswordInput, Stack, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { InlineError } from "../../components/states";
import { PASSWORD_RULE, passwordProblem } from "../../lib/password";
import { AuthCard } from "./AuthCard";

export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const navigate = useNavigate();
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const mismatch = repeat.length > 0 && repeat !== password;
  const weak = passwordProblem(error, "new_password");

  if (!token) {
    return (
      <AuthCard title="This link is incomplete">
        <Stack>
          <Text size="sm">
            Open the link from the e-mail exactly as it is, or ask for a new one.
          </Text>
          <Anchor component={Link} to="/forgot-password" size="sm" ta="center">
            Ask for a new link
          </Anchor>
        </Stack>
      </AuthCard>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (mismatch || !password) return;
    setBusy(true);
    setError(null);
    try {
      await unwrap(
        api.POST("/api/v1/auth/reset-password", { body: { token, new_password: password } }),
      );
      notifications.show({
        color: "teal",
        title: "Password changed",
        message: "Sign in with your new password.",
      });
      navigate("/login", { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Choose a new password" subtitle="Every other session of your account ends">
      <form onSubmit={submit} noValidate>
        <Stack>
          <PasswordInput
            label="New password"
            description={PASSWORD_RULE}
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={weak}
            required
            autoFocus
          />
          <PasswordInput
            label="Repeat the new password"
            autoComplete="new-password"
            value={repeat}
            onChange={(e) => setRepeat(e.currentTarget.value)}
            error={mismatch ? "The two passwords differ" : undefined}
            required
          />
          {error !== null && !weak && (
            <Stack gap={4}>
              <InlineError error={error} />
              <Anchor component={Link} to="/forgot-password" size="sm">
                Ask for a new link
              </Anchor>
            </Stack>
          )}
          <Button
            type="submit"
            loading={busy}
            fullWidth
            size="md"
            disabled={!password || !repeat || mismatch}
          >
            Set the new password
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
