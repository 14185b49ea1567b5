// "Forgot password": asks the server to mail a reset link. The server answers the same way
// whether the address has an account or not, so the page does too.
import { Anchor, Button, Stack, Text, TextInput } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { InlineError } from "../../components/states";
import { AuthCard } from "./AuthCard";

const EMAIL = /^[^@\s]+@[^@\s]+$/;

export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const invalid = email.trim().length > 0 && !EMAIL.test(email.trim());

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (invalid || !email.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.POST("/api/v1/auth/forgot-password", { body: { email: email.trim() } }));
      setSent(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (sent) {
    return (
      <AuthCard title="Check your e-mail">
        <Stack>
          <Text size="sm" data-testid="forgot-sent">
            If <b>{email.trim()}</b> belongs to an account, a link to choose a new password is on
            its way. It works once, within an hour.
          </Text>
          <Text size="sm" c="dimmed">
            Nothing arrived? Check the spam folder, or ask an administrator to reset your password.
          </Text>
          <Anchor component={Link} to="/login" size="sm" ta="center">
            Back to sign in
          </Anchor>
        </Stack>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title="Forgot your password?"
      subtitle="Enter the e-mail address of your account and we will send you a link to choose a new one"
    >
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="E-mail"
            type="email"
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={invalid ? "Enter an e-mail address such as you@example.com" : undefined}
            required
            autoFocus
          />
          {error !== null && <InlineError error={error} />}
          <Button
            type="submit"
            loading={busy}
            fullWidth
            size="md"
            disabled={!email.trim() || invalid}
          >
            Send the link
          </Button>
          <Anchor component={Link} to="/login" size="sm" ta="center">
            Back to sign in
          </Anchor>
        </Stack>
      </form>
    </AuthCard>
  );
}
