// On/off over a time window as a step chart, with a real time axis.
import { Text } from "@mantine/core";
import {
  Area,
  AreaChart,
  CartesianGrid,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

import { onShare, toSteps, type Transition } from "../../lib/timeline";

const fmt = (t: number) =>
  new Date(t).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });

/** One tick per day boundary in the window (at most 8), so the axis reads like a calendar. */
function dayTicks(from: number, to: number): number[] {
  const ticks: number[] = [];
  const d = new Date(from);
  d.setHours(0, 0, 0, 0);
  const step = Math.max(1, Math.ceil((to - from) / 86_400_000 / 8));
  for (d.setDate(d.getDate() + 1); d.getTime() < to; d.setDate(d.getDate() + step))
    ticks.push(d.getTime());
  return ticks;
}

const fmtDay = (t: number) =>
  new Date(t).toLocaleDateString([], { weekday: "short", day: "numeric" });

export function TimelineChart({
  events,
  from,
  to,
  label,
  color = "var(--mantine-color-teal-8)",
  height = 120,
}: {
  events: Transition[];
  from: string;
  to: string;
  label: string;
  color?: string;
  height?: number;
}) {
  const points = toSteps(events, to);
  return (
    <div role="img" aria-label={`${label}: on ${Math.round(onShare(points) * 100)}% of the time`}>
      <ResponsiveContainer width="100%" height={height}>
        <AreaChart data={points} margin={{ top: 6, right: 8, bottom: 0, left: -28 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={[Date.parse(from), Date.parse(to)]}
            ticks={dayTicks(Date.parse(from), Date.parse(to))}
            tickFormatter={fmtDay}
            fontSize={11}
          />
          <YAxis
            domain={[0, 1]}
            ticks={[0, 1]}
            tickFormatter={(v: number) => (v ? "on" : "off")}
            fontSize={11}
          />
          <Tooltip
            labelFormatter={(t) => fmt(Number(t))}
            formatter={(v) => [Number(v) ? "on" : "off", "state"]}
          />
          <Area
            type="stepAfter"
            dataKey="on"
            stroke={color}
            fill={color}
            fillOpacity={0.25}
            isAnimationActive={false}
          />
        </AreaChart>
      </ResponsiveContainer>
      <Text size="xs" c="dimmed">
        {label}: on {Math.round(onShare(points) * 100)}% of the time
      </Text>
    </div>
  );
}
