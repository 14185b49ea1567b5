// Schedule timelines as chart points: the state at `from`, then a step at every transition.

export interface Transition {
  at: string;
  enabled: boolean;
}

export interface StepPoint {
  t: number; // epoch ms
  on: number; // 1 or 0
}

export function toSteps(events: Transition[], to: string): StepPoint[] {
  const points = events.map((e) => ({ t: Date.parse(e.at), on: e.enabled ? 1 : 0 }));
  const last = points[points.length - 1];
  if (last) points.push({ t: Date.parse(to), on: last.on });
  return points;
}

/** Share of the window the feature is on, 0–1. */
export function onShare(points: StepPoint[]): number {
  if (points.length < 2) return points[0]?.on ?? 0;
  let on = 0;
  for (let i = 0; i < points.length - 1; i++)
    on += points[i]!.on * (points[i + 1]!.t - points[i]!.t);
  const total = points[points.length - 1]!.t - points[0]!.t;
  return total > 0 ? on / total : 0;
}
