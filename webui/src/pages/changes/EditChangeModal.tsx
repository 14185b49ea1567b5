// Edit what your own pending change would do. The server merges the fields over the original
// request and validates them like a new one; the approvals collected so far are cleared.
import { Button, Group, JsonInput, Modal, Stack, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import type { PendingChangeRead } from "../../api/types";
import { InlineError } from "../../components/states";

/** The parsed JSON object, or an error message for the field. */
export function parseArguments(text: string): { value?: Record<string, unknown>; error?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: "Not valid JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { error: "Must be a JSON object of the request's fields" };
  return { value: value as Record<string, unknown> };
}

export function EditChangeModal({
  change,
  onClose,
}: {
  change: PendingChangeRead;
  onClose: () => void;
}) {
  const client = useQueryClient();
  const [text, setText] = useState(JSON.stringify(change.arguments, null, 2));
  const parsed = parseArguments(text);
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH("/api/v1/pending-changes/{change_id}", {
          params: { path: { change_id: change.id } },
          body: { arguments: parsed.value ?? {} },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["pending-changes"] });
      notifications.show({
        color: "teal",
        title: "Change updated",
        message: "Its approvals start over.",
      });
      onClose();
    },
  });
  return (
    <Modal opened onClose={onClose} title="Edit your pending change" size="lg">
      <Stack>
        <Text size="sm">{change.summary}</Text>
        <JsonInput
          label="Request"
          description="The fields of the original request; the ones you change replace them"
          value={text}
          onChange={setText}
          autosize
          minRows={6}
          maxRows={20}
          classNames={{ input: "mono" }}
          error={parsed.error}
          data-autofocus
        />
        <Text size="xs" c="dimmed">
          Approvals given so far are cleared: the approvers review the new version.
        </Text>
        {save.error && <InlineError error={save.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Back
          </Button>
          <Button loading={save.isPending} disabled={!parsed.value} onClick={() => save.mutate()}>
            Save change
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
