// Single sign-on buttons, one per enabled provider (the list is public).
import { Button, Divider, Stack } from "@mantine/core";
import { IconLogin2 } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";

export function SignInExtras() {
  const providers = useQuery({
    queryKey: ["sso-providers"],
    retry: false,
    staleTime: 300_000,
    queryFn: async () => {
      const res = await fetch("/api/v1/auth/sso/providers");
      if (!res.ok) return [];
      return (
        (await res.json()) as {
          providers: { name: string; display_name: string; login_url: string }[];
        }
      ).providers;
    },
  });
  if (!providers.data || providers.data.length === 0) return null;
  return (
    <Stack gap="xs">
      <Divider label="or" labelPosition="center" />
      {providers.data.map((p) => (
        <Button
          key={p.name}
          component="a"
          href={p.login_url}
          variant="default"
          leftSection={<IconLogin2 size={16} />}
          fullWidth
        >
          Sign in with {p.display_name}
        </Button>
      ))}
    </Stack>
  );
}
