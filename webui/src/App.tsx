import { Navigate, Route, Routes, useLocation } from "react-router-dom";

import { useAuth } from "./auth/AuthProvider";
import { Shell } from "./layout/Shell";
import { AccountPage } from "./pages/account/AccountPage";
import { ChangePasswordPage } from "./pages/auth/ChangePasswordPage";
import { ForgotPasswordPage } from "./pages/auth/ForgotPasswordPage";
import { ResetPasswordPage } from "./pages/auth/ResetPasswordPage";
import { SignInPage } from "./pages/auth/SignInPage";
import { SsoCallbackPage } from "./pages/auth/SsoCallbackPage";
import { EnvironmentsPage } from "./pages/environments/EnvironmentsPage";
import { FeaturePage } from "./pages/features/FeaturePage";
import { FeaturesPage } from "./pages/features/FeaturesPage";
import { HistoryPage } from "./pages/history/HistoryPage";
import { MembersPage } from "./pages/members/MembersPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { ProjectSettingsPage } from "./pages/projects/ProjectSettingsPage";
import { ProjectsPage } from "./pages/projects/ProjectsPage";
import { SegmentPage } from "./pages/segments/SegmentPage";
import { SegmentsPage } from "./pages/segments/SegmentsPage";
import { UsersPage } from "./pages/users/UsersPage";
import { extraRoutes } from "./pages/extensions";

function RequireAuth({ children }: { children: JSX.Element }) {
  const { session } = useAuth();
  const location = useLocation();
  if (!session)
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  // A temporary password must be replaced before anything else.
  if (session.mustChangePassword) return <Navigate to="/change-password" replace />;
  return children;
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<SignInPage />} />
      <Route path="/change-password" element={<ChangePasswordPage />} />
      <Route path="/forgot-password" element={<ForgotPasswordPage />} />
      <Route path="/reset-password" element={<ResetPasswordPage />} />
      <Route path="/auth/sso/callback" element={<SsoCallbackPage />} />
      <Route
        element={
          <RequireAuth>
            <Shell />
          </RequireAuth>
        }
      >
        <Route index element={<ProjectsPage />} />
        <Route path="/account" element={<AccountPage />} />
        <Route path="/users" element={<UsersPage />} />
        <Route path="/projects/:projectId" element={<Navigate to="features" replace />} />
        <Route path="/projects/:projectId/features" element={<FeaturesPage />} />
        <Route path="/projects/:projectId/features/:featureId" element={<FeaturePage />} />
        <Route path="/projects/:projectId/segments" element={<SegmentsPage />} />
        <Route path="/projects/:projectId/segments/:segmentId" element={<SegmentPage />} />
        <Route path="/projects/:projectId/environments" element={<EnvironmentsPage />} />
        <Route path="/projects/:projectId/history" element={<HistoryPage />} />
        <Route path="/projects/:projectId/members" element={<MembersPage />} />
        <Route path="/projects/:projectId/settings" element={<ProjectSettingsPage />} />
        {extraRoutes()}
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
