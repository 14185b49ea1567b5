// Panels of identity capabilities (2FA, API tokens, sessions, security events) on the account page.
import type { ReactNode } from "react";

import { SecurityEventsPanel } from "./SecurityEventsPanel";
import { SessionsPanel } from "./SessionsPanel";
import { TokensPanel } from "./TokensPanel";
import { TwoFactorPanel } from "./TwoFactorPanel";

export function accountExtraPanels(): ReactNode[] {
  return [
    <TwoFactorPanel key="2fa" />,
    <TokensPanel key="tokens" />,
    <SessionsPanel key="sessions" />,
    <SecurityEventsPanel key="security-events" />,
  ];
}
