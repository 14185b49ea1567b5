// Tokens live in localStorage so every tab shares one session. Refresh tokens rotate and a
// reused one revokes the whole session (after a short server-side grace window that covers a
// reload racing a refresh), so exactly one refresh may be in flight: within a tab
// through a shared promise, across tabs through the Web Locks API (re-reading storage inside
// the lock, because another tab may have refreshed while we waited).
import type { TokenRead } from "./types";
import { toApiError } from "./errors";

const KEY = "togglr.session";
const LOCK = "togglr.refresh";
const SKEW_MS = 30_000; // refresh a little before expiry so requests never race the deadline

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresAt: number; // epoch ms
  mustChangePassword: boolean;
}

type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();
let inFlight: Promise<Session | null> | null = null;

export function fromTokens(t: TokenRead, now = Date.now()): Session {
  return {
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: now + t.expires_in * 1000,
    mustChangePassword: t.is_tmp_password,
  };
}

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
  listeners.forEach((l) => l(session));
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Other tabs signing in or out reach us through the storage event.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (e) => {
    if (e.key === KEY) listeners.forEach((l) => l(loadSession()));
  });
}

export function needsRefresh(session: Session, now = Date.now()): boolean {
  return session.expiresAt - SKEW_MS <= now;
}

async function callRefresh(refreshToken: string): Promise<Session | null> {
  const res = await fetch("/api/v1/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  if (res.status === 401 || res.status === 400) return null;
  if (!res.ok) throw toApiError(res.status, await res.json().catch(() => null));
  return fromTokens((await res.json()) as TokenRead);
}

async function refreshExclusive(stale: Session): Promise<Session | null> {
  const current = loadSession();
  if (!current) return null;
  // Another tab already rotated it: use theirs instead of replaying the old token.
  if (current.refreshToken !== stale.refreshToken && !needsRefresh(current)) return current;
  const next = await callRefresh(current.refreshToken);
  saveSession(next);
  return next;
}

/** A fresh session, refreshing once if the access token is (nearly) expired. */
export function refreshSession(stale: Session): Promise<Session | null> {
  if (!inFlight) {
    const run = () => refreshExclusive(stale);
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    inFlight = (locks ? locks.request(LOCK, run) : run()).finally(() => {
      inFlight = null;
    });
  }
  return inFlight;
}

export async function validSession(): Promise<Session | null> {
  const session = loadSession();
  if (!session) return null;
  return needsRefresh(session) ? refreshSession(session) : session;
}
