// Where the server sends the browser after an SSO sign-in: the tokens arrive in the URL
// fragment (never sent to a server), are stored, and the fragment is wiped from history.
import { Loader, Stack, Text } from "@mantine/core";
import { useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";

import { useAuth } from "../../auth/AuthProvider";
import { AuthCard } from "./AuthCard";

export function SsoCallbackPage() {
  const { adopt } = useAuth();
  const navigate = useNavigate();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const params = new URLSearchParams(window.location.hash.slice(1));
    window.history.replaceState(null, "", window.location.pathname);
    const access = params.get("access_token");
    const refresh = params.get("refresh_token");
    if (!access || !refresh) {
      setFailed(true);
      return;
    }
    adopt({
      access_token: access,
      refresh_token: refresh,
      token_type: "bearer",
      expires_in: Number(params.get("expires_in") ?? "900"),
      is_tmp_password: false,
    });
    navigate("/", { replace: true });
  }, [adopt, navigate]);
  return (
    <AuthCard title={failed ? "Sign-in did not finish" : "Signing you in…"}>
      <Stack align="center">
        {failed ? (
          <Text size="sm">
            The sign-in provider sent no tokens. Try again from the sign-in page.
          </Text>
        ) : (
          <Loader />
        )}
      </Stack>
    </AuthCard>
  );
}
