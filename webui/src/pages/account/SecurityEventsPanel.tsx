// The signed-in user's own security events: spot a sign-in that was not you.
import { Card, Text, Title } from "@mantine/core";

import { SecurityEvents } from "../admin/SecurityEvents";

export function SecurityEventsPanel() {
  return (
    <Card withBorder radius="md" padding="lg">
      <Title order={2} size="h4" mb={4}>
        Recent security events
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Sign-ins and changes to your password, 2FA and tokens. Something you did not do? Change your
        password.
      </Text>
      <SecurityEvents mine />
    </Card>
  );
}
