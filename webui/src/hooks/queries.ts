// Shared queries and their keys. Keys start with the entity and then the project id, so the
// live-update handler can invalidate everything of one project by prefix.
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";

export const keys = {
  me: ["me"] as const,
  projects: ["projects"] as const,
  project: (pid: string) => ["project", pid] as const,
  environments: (pid: string) => ["environments", pid] as const,
  features: (pid: string) => ["features", pid] as const,
  feature: (fid: string) => ["feature", fid] as const,
  segments: (pid: string) => ["segments", pid] as const,
  segment: (sid: string) => ["segment", sid] as const,
  usages: (sid: string) => ["segment-usages", sid] as const,
  tags: (pid: string) => ["tags", pid] as const,
  categories: ["categories"] as const,
  attributes: ["rule-attributes"] as const,
  audit: (pid: string) => ["audit", pid] as const,
  users: ["users"] as const,
  memberships: (pid: string) => ["memberships", pid] as const,
  roles: ["roles"] as const,
};

export function useProjects() {
  return useQuery({
    queryKey: keys.projects,
    queryFn: () => unwrap(api.GET("/api/v1/projects", { params: { query: { per_page: 500 } } })),
  });
}

export function useProject(pid: string) {
  return useQuery({
    queryKey: keys.project(pid),
    queryFn: () =>
      unwrap(api.GET("/api/v1/projects/{project_id}", { params: { path: { project_id: pid } } })),
  });
}

// The usual promotion order first, then any other environment by key.
const ENV_ORDER = ["dev", "development", "test", "qa", "stage", "staging", "prod", "production"];
const envRank = (key: string) => {
  const i = ENV_ORDER.indexOf(key);
  return i < 0 ? ENV_ORDER.length : i;
};

export function useEnvironments(pid: string) {
  return useQuery({
    queryKey: keys.environments(pid),
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/api/v1/projects/{project_id}/environments", {
            params: { path: { project_id: pid } },
          }),
        )
      ).items.sort((a, b) => envRank(a.key) - envRank(b.key) || a.key.localeCompare(b.key)),
  });
}

export function useTags(pid: string) {
  return useQuery({
    queryKey: keys.tags(pid),
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/api/v1/projects/{project_id}/tags", { params: { path: { project_id: pid } } }),
        )
      ).items,
    staleTime: 60_000,
  });
}

export function useCategories() {
  return useQuery({
    queryKey: keys.categories,
    queryFn: async () => (await unwrap(api.GET("/api/v1/categories"))).items,
    staleTime: 300_000,
  });
}

export function useAttributes() {
  return useQuery({
    queryKey: keys.attributes,
    queryFn: async () => (await unwrap(api.GET("/api/v1/rule-attributes"))).items,
    staleTime: 300_000,
  });
}

export function useSegments(pid: string) {
  return useQuery({
    queryKey: keys.segments(pid),
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/api/v1/projects/{project_id}/segments", {
            params: { path: { project_id: pid }, query: { per_page: 500 } },
          }),
        )
      ).items,
  });
}

export function useRoles() {
  return useQuery({
    queryKey: keys.roles,
    queryFn: async () => (await unwrap(api.GET("/api/v1/roles"))).items,
    staleTime: Infinity,
  });
}
