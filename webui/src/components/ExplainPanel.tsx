// "Why does this user get that?": evaluates the saved flag for a typed context on the server
// and shows the decision, the reason and each step the engine took.
import { Alert, Badge, Button, Code, Group, JsonInput, Stack, Table, Text } from "@mantine/core";
import { IconPlayerPlay } from "@tabler/icons-react";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../api/client";
import { DEFAULT_SPLIT_ATTRIBUTES } from "../lib/split";
import { InlineError } from "./states";

const REASONS: Record<string, string> = {
  DISABLED: "The feature is off in this environment.",
  SCHEDULED_OFF: "A schedule holds the feature off right now.",
  EXCLUDED: "An exclude rule matched.",
  NOT_INCLUDED: "Include rules exist and none matched.",
  TARGETING_MATCH: "A targeting rule decided.",
  ALGORITHM: "The attached algorithm chose the variant.",
  SPLIT: "The percentage split chose the variant.",
  DEFAULT: "Nothing else applied: the default value.",
};

export function ExplainPanel({
  pid,
  env,
  featureKey,
}: {
  pid: string;
  env: string;
  featureKey: string;
}) {
  const [text, setText] = useState('{\n  "user_id": "user-42",\n  "country": "DE"\n}');
  const [parseError, setParseError] = useState<string | null>(null);
  const run = useMutation({
    mutationFn: (context: Record<string, unknown>) =>
      unwrap(
        api.POST("/api/v1/projects/{project_id}/environments/{env_key}/evaluate/{feature_key}", {
          params: { path: { project_id: pid, env_key: env, feature_key: featureKey } },
          body: { context },
        }),
      ),
  });
  const submit = () => {
    try {
      const parsed: unknown = JSON.parse(text || "{}");
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
        throw new Error("not an object");
      setParseError(null);
      run.mutate(parsed as Record<string, unknown>);
    } catch {
      setParseError('The context must be a JSON object, e.g. {"user_id": "42"}');
    }
  };
  const d = run.data;
  return (
    <Stack gap="sm">
      <JsonInput
        label="Context"
        description="Attributes of a user or request, as your SDK would send them"
        value={text}
        onChange={setText}
        autosize
        minRows={4}
        maxRows={12}
        error={parseError}
      />
      <Group>
        <Button
          leftSection={<IconPlayerPlay size={14} />}
          onClick={submit}
          loading={run.isPending}
          variant="light"
        >
          Explain
        </Button>
        <Text size="xs" c="dimmed">
          Uses the saved state in {env}.
        </Text>
      </Group>
      {run.error && <InlineError error={run.error} />}
      {d && (
        <Stack gap="xs" data-testid="explain-result">
          <Alert
            color={d.enabled ? "teal" : "gray"}
            variant="light"
            title={d.enabled ? "Served: on" : "Served: off"}
          >
            <Stack gap={4}>
              <Group gap="xs">
                <Text size="sm">Value</Text>
                <Code>{d.value === "" ? '""' : d.value}</Code>
                {d.variant && (
                  <Badge variant="light" color="grape">
                    variant {d.variant}
                  </Badge>
                )}
              </Group>
              <Group gap="xs">
                <Badge variant="outline">{d.reason}</Badge>
                <Text size="sm">{REASONS[d.reason] ?? ""}</Text>
              </Group>
              {d.rule_id && (
                <Text size="xs" c="dimmed">
                  Matching rule <span className="mono">{d.rule_id}</span>
                </Text>
              )}
            </Stack>
          </Alert>
          {d.split?.missing && (
            <Alert color="yellow" variant="light" title="Not split" data-testid="split-missing">
              {d.split.configured
                ? `This context has no ${d.split.configured}, the attribute this feature splits users by, so it gets the default value. Add it to the context, or change “Split users by” in the details.`
                : `This context has none of ${DEFAULT_SPLIT_ATTRIBUTES.join(", ")}, so the split cannot place it and it gets the default value. Send the user's id under one of these names, or set “Split users by” in the details.`}
            </Alert>
          )}
          {d.split?.attribute && (
            <Text size="xs" c="dimmed" data-testid="split-by">
              Split by <span className="mono">{d.split.attribute}</span>
            </Text>
          )}
          {d.trace.length > 0 && (
            <Table withTableBorder fz="xs" verticalSpacing={4} aria-label="Evaluation trace">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Step</Table.Th>
                  <Table.Th>Outcome</Table.Th>
                  <Table.Th>Detail</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {d.trace.map((s, i) => (
                  <Table.Tr key={i}>
                    <Table.Td className="mono">{s.step}</Table.Td>
                    <Table.Td>{s.outcome}</Table.Td>
                    <Table.Td>{s.detail ?? ""}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
      )}
    </Stack>
  );
}
