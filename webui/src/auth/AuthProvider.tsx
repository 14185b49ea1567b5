// Who is signed in: the session (tokens), the current user, and the sign-in/out actions.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from "react";

import { api, unwrap } from "../api/client";
import { toApiError } from "../api/errors";
import {
  fromTokens,
  loadSession,
  onSessionChange,
  saveSession,
  type Session,
} from "../api/session";
import type { MeRead, TokenRead } from "../api/types";

interface AuthState {
  session: Session | null;
  me: MeRead | undefined;
  signIn: (username: string, password: string) => Promise<Session>;
  /** Second step of a sign-in with 2FA (after a 2fa_required answer). */
  verifyTwoFactor: (sessionId: string, code: string) => Promise<Session>;
  /** Adopt tokens obtained elsewhere (SSO callback). */
  adopt: (tokens: TokenRead) => void;
  signOut: () => Promise<void>;
  passwordChanged: (newPassword: string) => Promise<void>;
  can: (projectId: string, permission: string) => boolean;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const queryClient = useQueryClient();

  useEffect(() => onSessionChange(setSession), []);

  const meQuery = useQuery({
    queryKey: ["me"],
    queryFn: () => unwrap(api.GET("/api/v1/users/me")),
    enabled: session !== null,
    staleTime: 60_000,
  });

  const signIn = useCallback(async (username: string, password: string) => {
    const res = await fetch("/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) throw toApiError(res.status, body);
    const next = fromTokens(body as TokenRead);
    saveSession(next);
    return next;
  }, []);

  const verifyTwoFactor = useCallback(async (sessionId: string, code: string) => {
    const res = await fetch("/api/v1/auth/2fa/verify", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: sessionId, code }),
    });
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) throw toApiError(res.status, body);
    const next = fromTokens(body as TokenRead);
    saveSession(next);
    return next;
  }, []);

  const adopt = useCallback((tokens: TokenRead) => saveSession(fromTokens(tokens)), []);

  const signOut = useCallback(async () => {
    const current = loadSession();
    saveSession(null);
    queryClient.clear();
    if (current) {
      // Best effort: revoke the refresh-token family on the server.
      await fetch("/api/v1/auth/logout", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: current.refreshToken }),
      }).catch(() => undefined);
    }
  }, [queryClient]);

  const me = meQuery.data;

  // The server ends every session of a user whose password changes (a leaked password must not
  // keep sessions alive), so sign in again with the new password right away.
  const passwordChanged = useCallback(
    async (newPassword: string) => {
      const username = me?.username ?? (await unwrap(api.GET("/api/v1/users/me"))).username;
      try {
        await signIn(username, newPassword);
      } catch {
        saveSession(null); // e.g. a second factor is needed: back to the sign-in page
      }
      void queryClient.invalidateQueries({ queryKey: ["me"] });
    },
    [me, signIn, queryClient],
  );
  const can = useCallback(
    (projectId: string, permission: string) =>
      Boolean(me?.is_superuser || me?.project_permissions[projectId]?.includes(permission)),
    [me],
  );

  const value = useMemo(
    () => ({ session, me, signIn, verifyTwoFactor, adopt, signOut, passwordChanged, can }),
    [session, me, signIn, verifyTwoFactor, adopt, signOut, passwordChanged, can],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth outside AuthProvider");
  return ctx;
}
