// A horizontally scrolling box for wide tables in narrow columns. It takes keyboard focus, so
// keyboard users can scroll it too (axe: scrollable-region-focusable).
import type { ReactNode } from "react";

export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div role="region" aria-label={label} tabIndex={0} style={{ overflowX: "auto" }}>
      {children}
    </div>
  );
}
