// The environment a project screen shows: ?env= in the URL, else the last one used in this
// project, else the first. Kept in the URL so links and reloads keep it.
import { useCallback, useEffect } from "react";
import { useSearchParams } from "react-router-dom";

import type { EnvironmentRead } from "../api/types";

const storageKey = (pid: string) => `togglr.env.${pid}`;

export function useEnvKey(
  pid: string,
  envs: EnvironmentRead[] | undefined,
): [string | null, (k: string) => void] {
  const [params, setParams] = useSearchParams();
  const fromUrl = params.get("env");
  const stored = localStorage.getItem(storageKey(pid));
  const valid = (k: string | null) => (k && envs?.some((e) => e.key === k) ? k : null);
  const current = valid(fromUrl) ?? valid(stored) ?? envs?.[0]?.key ?? null;

  const setEnv = useCallback(
    (key: string) => {
      localStorage.setItem(storageKey(pid), key);
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          next.set("env", key);
          return next;
        },
        { replace: true },
      );
    },
    [pid, setParams],
  );

  useEffect(() => {
    if (current) localStorage.setItem(storageKey(pid), current);
  }, [pid, current]);

  return [current, setEnv];
}
