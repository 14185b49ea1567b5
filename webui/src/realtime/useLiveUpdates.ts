// Live updates: one WebSocket to /api/ws per signed-in tab. Each change event invalidates the
// queries it touches, so a change made elsewhere shows up without a reload. Reconnects with
// back-off and a fresh token (the socket authenticates once, at connect).
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { validSession } from "../api/session";

export interface ChangeMessage {
  type: string;
  project_id?: string | null;
  environment_id?: string | null;
  feature_id?: string | null;
  payload?: Record<string, unknown>;
}

/** Which cached queries a change event makes stale. Exported for unit tests. */
export function invalidationsFor(msg: ChangeMessage): unknown[][] {
  const pid = msg.project_id ?? undefined;
  const out: unknown[][] = [];
  if (msg.type === "hello" || msg.type === "pong") return out;
  if (msg.feature_id) out.push(["feature", msg.feature_id]);
  if (pid) {
    out.push(["features", pid], ["audit", pid]);
    if (msg.type.startsWith("segment"))
      out.push(["segments", pid], ["segment"], ["segment-usages"]);
    if (msg.type.startsWith("environment")) out.push(["environments", pid]);
    if (msg.type.startsWith("project")) out.push(["project", pid], ["projects"]);
    if (msg.type.startsWith("membership")) out.push(["memberships", pid], ["me"]);
    if (!msg.feature_id && !out.some((k) => k[0] === "feature")) out.push(["feature"]);
  } else {
    out.push(["projects"]);
  }
  // Capabilities added later (experiments, schedules, changes...) key their queries by type stem.
  const stem = msg.type.split(".")[0];
  if (stem && !["feature", "segment", "environment", "project", "membership"].includes(stem)) {
    out.push([stem]);
  }
  out.push(["live", msg.type]);
  return out;
}

function apply(client: QueryClient, msg: ChangeMessage) {
  for (const key of invalidationsFor(msg)) void client.invalidateQueries({ queryKey: key });
}

export type LiveStatus = "connecting" | "live" | "offline";

export function useLiveUpdates(enabled: boolean): LiveStatus {
  const client = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>("connecting");

  useEffect(() => {
    if (!enabled) return;
    let socket: WebSocket | null = null;
    let closed = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let ping: ReturnType<typeof setInterval> | undefined;

    const connect = async () => {
      const session = await validSession();
      if (closed || !session) return;
      const proto = window.location.protocol === "https:" ? "wss" : "ws";
      setStatus("connecting");
      // The token rides in the subprotocol rather than ?token=, so it never lands in access logs.
      socket = new WebSocket(`${proto}://${window.location.host}/api/ws`, [
        `token.${session.accessToken}`,
      ]);
      socket.onopen = () => {
        attempt = 0;
        setStatus("live");
        ping = setInterval(() => socket?.send(JSON.stringify({ type: "ping" })), 25_000);
      };
      socket.onmessage = (e) => {
        try {
          apply(client, JSON.parse(String(e.data)) as ChangeMessage);
        } catch {
          /* ignore malformed frames */
        }
      };
      socket.onclose = () => {
        clearInterval(ping);
        if (closed) return;
        setStatus("offline");
        attempt += 1;
        // After a gap we may have missed events: refetch what is on screen.
        timer = setTimeout(
          () => {
            void client.invalidateQueries();
            void connect();
          },
          Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5)),
        );
      };
    };
    void connect();
    return () => {
      closed = true;
      clearTimeout(timer);
      clearInterval(ping);
      socket?.close();
    };
  }, [enabled, client]);

  return status;
}
