import { Anchor, Button, PasswordInput, Stack, TextInput } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router-dom";

import { ApiError } from "../../api/errors";
import type { Session } from "../../api/session";
import { useAuth } from "../../auth/AuthProvider";
import { InlineError } from "../../components/states";
import { AuthCard } from "./AuthCard";
import { SignInExtras } from "./SignInExtras";

export function SignInPage() {
  const { session, signIn, verifyTwoFactor } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? "/";
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [challenge, setChallenge] = useState<string | null>(null); // 2FA session id
  const [code, setCode] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (session && !busy)
    return <Navigate to={session.mustChangePassword ? "/change-password" : from} replace />;

  const done = (s: Session) =>
    navigate(s.mustChangePassword ? "/change-password" : from, { replace: true });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      done(
        challenge
          ? await verifyTwoFactor(challenge, code.trim())
          : await signIn(username.trim(), password),
      );
    } catch (err) {
      if (
        err instanceof ApiError &&
        err.code === "2fa_required" &&
        typeof err.extra.session_id === "string"
      ) {
        setChallenge(err.extra.session_id);
      } else {
        setError(err);
      }
    } finally {
      setBusy(false);
    }
  };

  if (challenge) {
    return (
      <AuthCard
        title="Two-factor authentication"
        subtitle="Enter the 6-digit code from your authenticator app, or a recovery code"
      >
        <form onSubmit={submit} noValidate>
          <Stack>
            <TextInput
              label="Code"
              autoComplete="one-time-code"
              inputMode="numeric"
              value={code}
              onChange={(e) => setCode(e.currentTarget.value)}
              autoFocus
              classNames={{ input: "mono" }}
            />
            {error !== null && <InlineError error={error} />}
            <Button type="submit" loading={busy} fullWidth size="md" disabled={!code.trim()}>
              Verify
            </Button>
            <Button
              variant="subtle"
              color="gray"
              onClick={() => {
                setChallenge(null);
                setCode("");
                setError(null);
              }}
            >
              Back
            </Button>
          </Stack>
        </form>
      </AuthCard>
    );
  }

  return (
    <AuthCard title="Sign in to Togglr" subtitle="Feature flags and experiments for your team">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Username or e-mail"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.currentTarget.value)}
            required
            autoFocus
          />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            required
          />
          {error !== null && <InlineError error={error} />}
          <Button
            type="submit"
            loading={busy}
            fullWidth
            size="md"
            disabled={!username || !password}
          >
            Sign in
          </Button>
          <SignInExtras />
          <Anchor component={Link} to="/forgot-password" size="sm" ta="center">
            Forgot your password?
          </Anchor>
        </Stack>
      </form>
    </AuthCard>
  );
}
