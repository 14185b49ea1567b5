// Routes of the capabilities around the core: experiments, governance, notifications,
// server administration.
import type { ReactNode } from "react";
import { Route } from "react-router-dom";

import { AdminPage } from "./admin/AdminPage";
import { ChangesPage } from "./changes/ChangesPage";
import { DashboardPage } from "./dashboard/DashboardPage";
import { ResultsPage } from "./experiments/ResultsPage";
import { ChannelsPage } from "./notifications/ChannelsPage";

export function extraRoutes(): ReactNode[] {
  return [
    <Route key="dashboard" path="/projects/:projectId/dashboard" element={<DashboardPage />} />,
    <Route key="changes" path="/projects/:projectId/changes" element={<ChangesPage />} />,
    <Route
      key="results"
      path="/projects/:projectId/features/:featureId/results"
      element={<ResultsPage />}
    />,
    <Route key="channels" path="/projects/:projectId/notifications" element={<ChannelsPage />} />,
    <Route key="admin" path="/admin/:tab?" element={<AdminPage />} />,
  ];
}
