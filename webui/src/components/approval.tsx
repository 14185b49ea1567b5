// What the screens say when the server holds a write for approval (202 with the pending change,
// docs/governance.md "What approvals cover"): the change is on its way, not applied, and where
// to follow it. The notification lives outside the router, so its link navigates by hand.
import { Anchor, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { useNavigate } from "react-router-dom";

import type { PendingChangeRead } from "../api/types";

/** The changes page, scrolled to one pending change. */
export function changeLink(change: Pick<PendingChangeRead, "id" | "project_id">): string {
  return `/projects/${change.project_id}/changes#change-${change.id}`;
}

/** A function that announces `change` ("Sent for approval: <what>") with a link to it, and
 * refreshes the lists of pending changes. `detail` replaces the default first sentence. */
export function useSentForApproval(): (
  change: PendingChangeRead,
  what: string,
  detail?: string,
) => void {
  const navigate = useNavigate();
  const client = useQueryClient();
  return useCallback(
    (change, what, detail = "Nothing changes until it is approved.") => {
      void client.invalidateQueries({ queryKey: ["pending-changes"] });
      const to = changeLink(change);
      notifications.show({
        color: "orange",
        title: `Sent for approval: ${what}`,
        autoClose: 12_000,
        message: (
          <Text size="sm" component="span">
            {detail}{" "}
            <Anchor
              href={to}
              onClick={(e) => {
                e.preventDefault();
                navigate(to);
              }}
            >
              See the pending change
            </Anchor>
          </Text>
        ),
      });
    },
    [client, navigate],
  );
}
