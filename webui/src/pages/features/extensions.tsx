// Side panels of capabilities that plug into the feature page (experiments, schedules).
import type { ReactNode } from "react";

import type { FeatureDetailRead } from "../../api/types";
import { ExperimentPanel } from "../experiments/ExperimentPanel";
import { SchedulesPanel } from "../schedules/SchedulesPanel";

export function featureExtraPanels(feature: FeatureDetailRead, env: string | null): ReactNode[] {
  if (!env) return [];
  return [
    <SchedulesPanel key={`schedules-${env}`} feature={feature} env={env} />,
    <ExperimentPanel key={`experiment-${env}`} feature={feature} env={env} />,
  ];
}
