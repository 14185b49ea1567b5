import { Card, Grid, Stack, Text, Title } from "@mantine/core";

import { useAuth } from "../../auth/AuthProvider";
import { PageHeader } from "../../components/PageHeader";
import { ChangePasswordForm } from "../auth/ChangePasswordPage";
import { accountExtraPanels } from "./extensions";

export function AccountPage() {
  const { me, passwordChanged } = useAuth();
  return (
    <>
      <PageHeader
        title="Account and security"
        description={me ? `${me.username} · ${me.email}` : undefined}
      />
      <Grid gutter="lg">
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Card withBorder radius="md" padding="lg">
            <Title order={2} size="h4" mb="sm">
              Password
            </Title>
            {me?.is_external ? (
              <Text size="sm" c="dimmed">
                Your password is managed by your company's sign-in provider.
              </Text>
            ) : (
              <ChangePasswordForm onDone={passwordChanged} />
            )}
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Stack>{accountExtraPanels()}</Stack>
        </Grid.Col>
      </Grid>
    </>
  );
}
