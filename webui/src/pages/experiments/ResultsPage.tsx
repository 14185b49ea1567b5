// Live results of the attached algorithm: allocation over time, conversion by variant with its
// 95 % interval, and the probability that each variant is best. Polls every few seconds.
import { AreaChart, BarChart } from "@mantine/charts";
import {
  Badge,
  Card,
  Grid,
  Group,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Title,
  Tooltip,
} from "@mantine/core";
import { IconChartBar } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useParams } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import type { ResultsRead } from "../../api/types";
import { PageHeader } from "../../components/PageHeader";
import { EmptyState, ErrorState, PageLoader } from "../../components/states";
import { keys, useEnvironments, useProject } from "../../hooks/queries";
import { useEnvKey } from "../../hooks/useEnvKey";
import { AlgorithmHistory } from "./AlgorithmHistory";

const COLORS = [
  "indigo.7",
  "teal.9",
  "grape.8",
  "orange.9",
  "cyan.9",
  "pink.8",
  "lime.9",
  "violet.8",
];
const pct = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined ? "—" : `${(x * 100).toFixed(digits)}%`;

/** Rows of {at, <variant>: share} from the series, for a stacked percent area chart. */
export function allocationSeries(r: ResultsRead): Record<string, string | number>[] {
  const byTime = new Map<string, Record<string, string | number>>();
  for (const p of r.series.points) {
    const row = byTime.get(p.at) ?? {
      at: new Date(p.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
    };
    row[p.variant] = ((row[p.variant] as number | undefined) ?? 0) + p.evaluations;
    byTime.set(p.at, row);
  }
  return [...byTime.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, row]) => row);
}

function IntervalBar({
  rate,
  lo,
  hi,
  color,
}: {
  rate: number | null;
  lo: number;
  hi: number;
  color: string;
}) {
  const c = `var(--mantine-color-${color.replace(".", "-")})`;
  return (
    <div
      style={{
        position: "relative",
        height: 14,
        background: "var(--mantine-color-gray-1)",
        borderRadius: 7,
      }}
      aria-hidden="true"
    >
      <div
        style={{
          position: "absolute",
          left: `${lo * 100}%`,
          width: `${Math.max(0.5, (hi - lo) * 100)}%`,
          top: 3,
          height: 8,
          background: c,
          opacity: 0.35,
          borderRadius: 4,
        }}
      />
      {rate !== null && (
        <div
          style={{
            position: "absolute",
            left: `calc(${rate * 100}% - 2px)`,
            top: 0,
            width: 4,
            height: 14,
            background: c,
            borderRadius: 2,
          }}
        />
      )}
    </div>
  );
}

export function ResultsPage() {
  const { projectId: pid = "", featureId = "" } = useParams();
  const project = useProject(pid);
  const envs = useEnvironments(pid);
  const [env] = useEnvKey(pid, envs.data);
  const [bucket, setBucket] = useState<"minute" | "hour" | "day">("minute");
  const feature = useQuery({
    queryKey: keys.feature(featureId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/features/{feature_id}", { params: { path: { feature_id: featureId } } }),
      ),
  });
  const results = useQuery({
    queryKey: ["experiment", "results", featureId, env, bucket],
    enabled: env !== null,
    refetchInterval: 5000,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/features/{feature_id}/environments/{env_key}/algorithm/results", {
          params: { path: { feature_id: featureId, env_key: env ?? "" }, query: { bucket } },
        }),
      ),
  });
  const r = results.data;
  const variants = useMemo(() => r?.variants.map((v) => v.variant) ?? [], [r]);
  const series = variants.map((v, i) => ({ name: v, color: COLORS[i % COLORS.length]! }));
  const allocation = useMemo(() => (r ? allocationSeries(r) : []), [r]);

  const header = (
    <PageHeader
      title={`Results: ${feature.data?.name ?? "…"}`}
      badge={
        env && (
          <Badge color={env === "prod" ? "red" : "gray"} variant="light">
            {env}
          </Badge>
        )
      }
      crumbs={[
        { label: "Projects", to: "/" },
        { label: project.data?.name ?? "…", to: `/projects/${pid}/features` },
        {
          label: feature.data?.key ?? "feature",
          to: `/projects/${pid}/features/${featureId}?env=${env ?? ""}`,
        },
      ]}
      actions={
        <SegmentedControl
          aria-label="Time bucket"
          value={bucket}
          onChange={(v) => setBucket(v as typeof bucket)}
          data={[
            { value: "minute", label: "Minutes" },
            { value: "hour", label: "Hours" },
            { value: "day", label: "Days" },
          ]}
        />
      }
    />
  );
  if (results.isPending || feature.isPending)
    return (
      <>
        {header}
        <PageLoader />
      </>
    );
  if (results.error) {
    if (results.error instanceof ApiError && results.error.status === 404) {
      return (
        <>
          {header}
          <EmptyState title="No algorithm attached" icon={<IconChartBar size={26} />}>
            Attach one on the feature page to see live results here.
          </EmptyState>
          {env && <AlgorithmHistory featureId={featureId} env={env} />}
        </>
      );
    }
    return (
      <>
        {header}
        <ErrorState error={results.error} onRetry={() => void results.refetch()} />
      </>
    );
  }
  const data = r!;
  const total = data.variants.reduce((s, v) => s + v.evaluations, 0);
  return (
    <>
      {header}
      <Group gap="xs" mb="md">
        <Badge variant="dot" color={data.source === "live" ? "teal" : "gray"}>
          {data.source === "live" ? "live, refreshes every 5 s" : "stored results"}
        </Badge>
        <Text size="sm" c="dimmed">
          {data.attachment.algorithm} · {total.toLocaleString()} evaluations
        </Text>
      </Group>
      <Grid gutter="lg">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Card withBorder radius="md" padding="lg" h="100%">
            <Title order={2} size="h4" mb="sm">
              Allocation over time
            </Title>
            {allocation.length === 0 ? (
              <Text size="sm" c="dimmed">
                No evaluations in this window yet.
              </Text>
            ) : (
              <div role="figure" aria-label="Allocation over time">
                <AreaChart
                  h={260}
                  data={allocation}
                  dataKey="at"
                  series={series}
                  type="percent"
                  withLegend
                  curveType="monotone"
                />
              </div>
            )}
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Card withBorder radius="md" padding="lg" h="100%">
            <Title order={2} size="h4" mb="sm">
              Probability to be best
            </Title>
            <div role="figure" aria-label="Probability to be best">
              <BarChart
                h={260}
                data={data.variants.map((v) => ({
                  variant: v.variant,
                  probability: Math.round(v.probability_best * 1000) / 10,
                }))}
                dataKey="variant"
                series={[{ name: "probability", color: "indigo.7", label: "P(best) %" }]}
                yAxisProps={{ domain: [0, 100] }}
                unit="%"
              />
            </div>
          </Card>
        </Grid.Col>
        <Grid.Col span={12}>
          <Card withBorder radius="md" padding="lg">
            <Title order={2} size="h4" mb="sm">
              Conversion by variant
            </Title>
            <Table aria-label="Conversion by variant">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Variant</Table.Th>
                  <Table.Th>Traffic now</Table.Th>
                  <Table.Th>Evaluations</Table.Th>
                  <Table.Th>Successes</Table.Th>
                  <Table.Th>Rate</Table.Th>
                  <Table.Th w="30%">95 % interval</Table.Th>
                  <Table.Th>P(best)</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.variants.map((v, i) => (
                  <Table.Tr key={v.variant}>
                    <Table.Td fw={600}>{v.variant}</Table.Td>
                    <Table.Td>{pct(v.weight)}</Table.Td>
                    <Table.Td>{v.evaluations.toLocaleString()}</Table.Td>
                    <Table.Td>{v.successes.toLocaleString()}</Table.Td>
                    <Table.Td>{pct(v.rate)}</Table.Td>
                    <Table.Td>
                      <Tooltip label={`${pct(v.interval[0])} – ${pct(v.interval[1])}`}>
                        <Stack gap={2}>
                          <IntervalBar
                            rate={v.rate}
                            lo={v.interval[0]}
                            hi={v.interval[1]}
                            color={COLORS[i % COLORS.length]!}
                          />
                          <Text size="xs" c="dimmed">
                            {pct(v.interval[0])} – {pct(v.interval[1])}
                          </Text>
                        </Stack>
                      </Tooltip>
                    </Table.Td>
                    <Table.Td>{pct(v.probability_best)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            {data.optimizer && (
              <Text size="sm" mt="sm">
                Optimiser: current value {data.optimizer.current_value ?? "—"}, best{" "}
                {data.optimizer.best_value ?? "—"} (reward {data.optimizer.best_reward ?? "—"})
                after {data.optimizer.iteration ?? 0} iterations.
              </Text>
            )}
          </Card>
        </Grid.Col>
      </Grid>
      {env && <AlgorithmHistory featureId={featureId} env={env} />}
    </>
  );
}
