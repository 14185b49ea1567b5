// Server administration for superusers: LDAP directory, single sign-on, security events.
import { Card, Tabs } from "@mantine/core";
import { Navigate, useNavigate, useParams } from "react-router-dom";

import { useAuth } from "../../auth/AuthProvider";
import { PageHeader } from "../../components/PageHeader";
import { EmptyState } from "../../components/states";
import { LdapPanel } from "./LdapPanel";
import { SecurityEvents } from "./SecurityEvents";
import { SsoPanel } from "./SsoPanel";

const TABS = ["directory", "sso", "security"] as const;
type Tab = (typeof TABS)[number];

export function AdminPage() {
  const { tab = "directory" } = useParams();
  const navigate = useNavigate();
  const { me } = useAuth();
  if (!TABS.includes(tab as Tab)) return <Navigate to="/admin/directory" replace />;
  if (me && !me.is_superuser)
    return (
      <EmptyState title="For superusers only">
        Ask a superuser to change the server's sign-in settings.
      </EmptyState>
    );
  return (
    <>
      <PageHeader
        title="Sign-in and security"
        description="Directory accounts, single sign-on, and what happened to accounts"
      />
      <Tabs value={tab} onChange={(v) => v && navigate(`/admin/${v}`)} keepMounted={false}>
        <Tabs.List mb="lg">
          <Tabs.Tab value="directory">LDAP directory</Tabs.Tab>
          <Tabs.Tab value="sso">Single sign-on</Tabs.Tab>
          <Tabs.Tab value="security">Security events</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="directory">
          <LdapPanel />
        </Tabs.Panel>
        <Tabs.Panel value="sso">
          <SsoPanel />
        </Tabs.Panel>
        <Tabs.Panel value="security">
          <Card withBorder radius="md" padding="lg">
            <SecurityEvents mine={false} />
          </Card>
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
