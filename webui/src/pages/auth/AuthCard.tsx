import { Center, Paper, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";

export function AuthCard({
  title,
  subtitle,
  children,
}: {
  title: string;
  subtitle?: string;
  children: ReactNode;
}) {
  return (
    <Center mih="100vh" p="md" bg="gray.1" component="main">
      <Stack w={400} maw="100%" gap="lg">
        <Stack gap={6} align="center">
          <svg width="44" height="44" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="var(--mantine-color-indigo-7)" />
            <rect x="6" y="11" width="20" height="10" rx="5" fill="#fff" />
            <circle cx="21" cy="16" r="3.5" fill="var(--mantine-color-indigo-7)" />
          </svg>
          <Title order={1} size="h2">
            {title}
          </Title>
          {subtitle && (
            <Text c="dimmed" size="sm" ta="center">
              {subtitle}
            </Text>
          )}
        </Stack>
        <Paper withBorder shadow="sm" p="xl" radius="md">
          {children}
        </Paper>
      </Stack>
    </Center>
  );
}
