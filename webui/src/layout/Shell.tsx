// The frame around every signed-in screen: header with project switcher and user menu, a side
// navigation for the current project, and the live-update connection.
import {
  AppShell,
  Avatar,
  Badge,
  Burger,
  Group,
  Menu,
  NavLink,
  ScrollArea,
  Select,
  Text,
  Tooltip,
  UnstyledButton,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import {
  IconChevronDown,
  IconFlag,
  IconFolders,
  IconHistory,
  IconKey,
  IconLogout,
  IconServer,
  IconSettings,
  IconShieldLock,
  IconUserCircle,
  IconUsers,
  IconUsersGroup,
} from "@tabler/icons-react";
import type { ReactNode } from "react";
import { Link, Outlet, useLocation, useMatch, useNavigate } from "react-router-dom";

import { useAuth } from "../auth/AuthProvider";
import { useProjects } from "../hooks/queries";
import { useLiveUpdates } from "../realtime/useLiveUpdates";
import { NotificationBell } from "../pages/notifications/NotificationBell";
import { extraNavItems } from "./extensions";

function Logo() {
  return (
    <Link to="/" style={{ textDecoration: "none", color: "inherit" }} aria-label="Togglr home">
      <Group gap={8} wrap="nowrap">
        <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true">
          <rect width="32" height="32" rx="8" fill="var(--mantine-color-indigo-7)" />
          <rect x="6" y="11" width="20" height="10" rx="5" fill="#fff" />
          <circle cx="21" cy="16" r="3.5" fill="var(--mantine-color-indigo-7)" />
        </svg>
        <Text fw={700} size="lg">
          Togglr
        </Text>
      </Group>
    </Link>
  );
}

function LiveDot({ status }: { status: string }) {
  const color = status === "live" ? "teal" : status === "connecting" ? "yellow" : "gray";
  const label =
    status === "live"
      ? "Live updates on"
      : status === "connecting"
        ? "Connecting…"
        : "Offline — retrying";
  return (
    <Tooltip label={label}>
      <Badge
        variant="dot"
        color={color}
        size="sm"
        aria-label={label}
        data-testid="live-status"
        data-status={status}
      >
        {status === "live" ? "Live" : status === "connecting" ? "Connecting" : "Offline"}
      </Badge>
    </Tooltip>
  );
}

function NavItem({
  to,
  label,
  icon,
  exact,
}: {
  to: string;
  label: ReactNode;
  icon: ReactNode;
  exact?: boolean;
}) {
  const location = useLocation();
  const path = to.split("?")[0]!;
  const active = exact ? location.pathname === path : location.pathname.startsWith(path);
  return (
    <NavLink
      component={Link}
      to={to}
      label={label}
      leftSection={icon}
      active={active}
      variant="light"
    />
  );
}

export function Shell() {
  const [opened, { toggle, close }] = useDisclosure();
  const { me, signOut } = useAuth();
  const navigate = useNavigate();
  const projects = useProjects();
  const match = useMatch("/projects/:projectId/*");
  const projectId = match?.params.projectId;
  const live = useLiveUpdates(true);

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 232, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="md" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label="Toggle navigation"
            />
            <Logo />
            <Select
              aria-label="Current project"
              placeholder="Choose a project"
              data={(projects.data?.items ?? []).map((p) => ({ value: p.id, label: p.name }))}
              value={projectId ?? null}
              onChange={(v) => v && navigate(`/projects/${v}/features`)}
              w={220}
              searchable
              nothingFoundMessage="No project"
              visibleFrom="xs"
              comboboxProps={{ withinPortal: true }}
            />
          </Group>
          <Group gap="sm" wrap="nowrap">
            <LiveDot status={live} />
            <NotificationBell />
            <Menu position="bottom-end" width={220} withinPortal>
              <Menu.Target>
                <UnstyledButton data-testid="user-menu">
                  <Group gap={6} wrap="nowrap">
                    <Avatar size={30} radius="xl" color="indigo" aria-hidden="true">
                      {(me?.username ?? "?").slice(0, 2).toUpperCase()}
                    </Avatar>
                    <Text size="sm" fw={500} visibleFrom="sm">
                      {me?.username}
                    </Text>
                    <span className="visually-hidden">account menu</span>
                    <IconChevronDown size={14} aria-hidden="true" />
                  </Group>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{me?.email}</Menu.Label>
                <Menu.Item
                  leftSection={<IconUserCircle size={16} />}
                  component={Link}
                  to="/account"
                >
                  Account and security
                </Menu.Item>
                <Menu.Divider />
                <Menu.Item
                  color="red"
                  leftSection={<IconLogout size={16} />}
                  onClick={() => {
                    void signOut().then(() => navigate("/login"));
                  }}
                >
                  Sign out
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="xs" onClick={close} aria-label="Main navigation">
        <AppShell.Section grow component={ScrollArea}>
          <NavItem to="/" exact label="Projects" icon={<IconFolders size={18} />} />
          {projectId && (
            <>
              <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" mt="md" mb={4}>
                {projects.data?.items.find((p) => p.id === projectId)?.name ?? "Project"}
              </Text>
              <NavItem
                to={`/projects/${projectId}/features`}
                label="Features"
                icon={<IconFlag size={18} />}
              />
              <NavItem
                to={`/projects/${projectId}/segments`}
                label="Segments"
                icon={<IconUsersGroup size={18} />}
              />
              {extraNavItems(projectId).map((item) => (
                <NavItem key={item.to} to={item.to} label={item.label} icon={item.icon} />
              ))}
              <NavItem
                to={`/projects/${projectId}/environments`}
                label="Environments & keys"
                icon={<IconServer size={18} />}
              />
              <NavItem
                to={`/projects/${projectId}/history`}
                label="History"
                icon={<IconHistory size={18} />}
              />
              <NavItem
                to={`/projects/${projectId}/members`}
                label="Members"
                icon={<IconKey size={18} />}
              />
              <NavItem
                to={`/projects/${projectId}/settings`}
                label="Project settings"
                icon={<IconSettings size={18} />}
              />
            </>
          )}
          {me?.is_superuser && (
            <>
              <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" mt="md" mb={4}>
                Administration
              </Text>
              <NavItem to="/users" label="Users" icon={<IconUsers size={18} />} />
              <NavItem
                to="/admin"
                label="Sign-in and security"
                icon={<IconShieldLock size={18} />}
              />
            </>
          )}
        </AppShell.Section>
      </AppShell.Navbar>

      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
