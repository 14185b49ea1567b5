import { Button, PasswordInput, Stack, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type FormEvent } from "react";
import { Navigate, useNavigate } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import { useAuth } from "../../auth/AuthProvider";
import { InlineError } from "../../components/states";
import { PASSWORD_RULE, passwordProblem } from "../../lib/password";
import { AuthCard } from "./AuthCard";

export function ChangePasswordForm({
  onDone,
  forced,
}: {
  onDone: (newPassword: string) => Promise<void> | void;
  forced?: boolean;
}) {
  const [oldPassword, setOld] = useState("");
  const [newPassword, setNew] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const mismatch = repeat.length > 0 && repeat !== newPassword;
  const oldWrong = error instanceof ApiError && error.code === "wrong_password";
  const newBad = passwordProblem(error, "new_password");

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (mismatch) return;
    setBusy(true);
    setError(null);
    try {
      await unwrap(
        api.POST("/api/v1/users/me/change-password", {
          body: { old_password: oldPassword, new_password: newPassword },
        }),
      );
      await onDone(newPassword);
      setOld("");
      setNew("");
      setRepeat("");
      notifications.show({
        color: "teal",
        title: "Password changed",
        message: "Use it next time you sign in.",
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {forced && (
          <Text size="sm" c="dimmed">
            You signed in with a temporary password. Choose your own to continue.
          </Text>
        )}
        <PasswordInput
          label={forced ? "Temporary password" : "Current password"}
          autoComplete="current-password"
          value={oldPassword}
          onChange={(e) => setOld(e.currentTarget.value)}
          error={oldWrong ? "The current password is wrong" : undefined}
          required
        />
        <PasswordInput
          label="New password"
          description={PASSWORD_RULE}
          autoComplete="new-password"
          value={newPassword}
          onChange={(e) => setNew(e.currentTarget.value)}
          error={newBad}
          required
        />
        <PasswordInput
          label="Repeat the new password"
          autoComplete="new-password"
          value={repeat}
          onChange={(e) => setRepeat(e.currentTarget.value)}
          error={mismatch ? "The two passwords differ" : undefined}
          required
        />
        {error !== null && !oldWrong && !newBad && <InlineError error={error} />}
        <Button
          type="submit"
          loading={busy}
          disabled={!oldPassword || !newPassword || mismatch || !repeat}
        >
          Change password
        </Button>
      </Stack>
    </form>
  );
}

export function ChangePasswordPage() {
  const { session, passwordChanged, signOut } = useAuth();
  const navigate = useNavigate();
  if (!session) return <Navigate to="/login" replace />;
  return (
    <AuthCard title="Choose a new password">
      <Stack>
        <ChangePasswordForm
          forced={session.mustChangePassword}
          onDone={async (pw) => {
            await passwordChanged(pw);
            navigate("/", { replace: true });
          }}
        />
        <Button
          variant="subtle"
          color="gray"
          onClick={() => void signOut().then(() => navigate("/login"))}
        >
          Sign out
        </Button>
      </Stack>
    </AuthCard>
  );
}
