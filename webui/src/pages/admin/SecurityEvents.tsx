// Security events (sign-ins, password and 2FA changes, tokens, LDAP and SSO administration):
// everyone's for superusers, or the signed-in user's own on the account page.
import { Badge, Code, Group, Pagination, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import type { AuditRead } from "../../api/types";
import { EmptyState, InlineError, LoadingRows } from "../../components/states";
import { formatDate } from "../../components/time";
import { ScrollRegion } from "../../components/ScrollRegion";

const PER_PAGE = 25;

/** "login_failed" -> "Login failed". */
export function actionLabel(action: string): string {
  const words = action.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const RED = /fail|denied|locked|reuse|reset|disable/;

/** Short "key: value" details of an event (IP, user agent, …), no secrets are ever stored. */
export function eventDetails(e: AuditRead): string {
  const value = (e.new_value ?? e.old_value) as unknown;
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "";
  return Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== "")
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" · ");
}

export function SecurityEvents({ mine }: { mine: boolean }) {
  const [page, setPage] = useState(1);
  const [action, setAction] = useState("");
  const [debounced] = useDebouncedValue(action.trim(), 300);
  const events = useQuery({
    queryKey: ["security-events", mine ? "me" : "all", debounced, page],
    queryFn: () => {
      const query = { page, per_page: PER_PAGE, action: debounced || undefined };
      return unwrap(
        mine
          ? api.GET("/api/v1/users/me/security-events", { params: { query } })
          : api.GET("/api/v1/security-events", { params: { query } }),
      );
    },
  });
  const pages = events.data ? Math.max(1, Math.ceil(events.data.total / PER_PAGE)) : 1;
  return (
    <>
      <TextInput
        label="Action"
        placeholder="e.g. login_failed"
        value={action}
        onChange={(e) => {
          setAction(e.currentTarget.value);
          setPage(1);
        }}
        maw={260}
        mb="sm"
      />
      {events.isPending && <LoadingRows rows={4} />}
      {events.error && <InlineError error={events.error} />}
      {events.data && events.data.items.length === 0 && (
        <EmptyState title="No security events">Sign-ins and security changes show here.</EmptyState>
      )}
      {events.data && events.data.items.length > 0 && (
        <ScrollRegion label="Security events">
          <Table fz="sm" aria-label="Security events" data-testid="security-events">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>What</Table.Th>
                <Table.Th>{mine ? "By" : "User"}</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {events.data.items.map((e, i) => (
                <Table.Tr key={e.id ?? i}>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>{formatDate(e.created_at)}</Table.Td>
                  <Table.Td>
                    <Group gap={6} wrap="nowrap">
                      <Badge size="sm" variant="light" color={RED.test(e.action) ? "red" : "gray"}>
                        {e.entity}
                      </Badge>
                      <Text size="sm">{actionLabel(e.action)}</Text>
                    </Group>
                  </Table.Td>
                  <Table.Td>{e.username || e.actor}</Table.Td>
                  <Table.Td>
                    <Code fz="xs">{eventDetails(e)}</Code>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollRegion>
      )}
      {pages > 1 && <Pagination mt="sm" size="sm" total={pages} value={page} onChange={setPage} />}
    </>
  );
}
