// Navigation entries of the capabilities around the core (dashboard, approvals, notifications).
import { Badge } from "@mantine/core";
import { IconBell, IconGitPullRequest, IconLayoutDashboard } from "@tabler/icons-react";
import type { ReactNode } from "react";

import { usePendingForMe } from "../pages/changes/ChangesPage";

export interface NavEntry {
  to: string;
  label: ReactNode;
  icon: ReactNode;
}

function PendingLabel({ projectId }: { projectId: string }) {
  const pending = usePendingForMe();
  const count = pending.data?.filter((c) => c.project_id === projectId).length ?? 0;
  return (
    <>
      Pending changes{" "}
      {count > 0 && (
        <Badge
          size="xs"
          color="orange"
          variant="filled"
          ml={4}
          aria-label={`${count} waiting for you`}
          data-testid="pending-badge"
        >
          {count}
        </Badge>
      )}
    </>
  );
}

export function extraNavItems(projectId: string): NavEntry[] {
  return [
    {
      to: `/projects/${projectId}/dashboard`,
      label: "Dashboard",
      icon: <IconLayoutDashboard size={18} />,
    },
    {
      to: `/projects/${projectId}/changes`,
      label: <PendingLabel projectId={projectId} />,
      icon: <IconGitPullRequest size={18} />,
    },
    {
      to: `/projects/${projectId}/notifications`,
      label: "Notifications",
      icon: <IconBell size={18} />,
    },
  ];
}
