import { ActionIcon, CopyButton, Group, Text, Tooltip } from "@mantine/core";
import { IconCheck, IconCopy, IconEye, IconEyeOff } from "@tabler/icons-react";
import { useState } from "react";

/** A secret shown masked by default, with reveal and copy buttons. */
export function CopyField({
  value,
  label,
  secret = true,
}: {
  value: string;
  label: string;
  secret?: boolean;
}) {
  const [shown, setShown] = useState(!secret);
  const masked =
    value.length > 8 ? `${value.slice(0, 4)}${"•".repeat(16)}${value.slice(-4)}` : "••••••••";
  return (
    <Group gap={4} wrap="nowrap">
      <Text className="mono" data-testid={`value-${label}`} style={{ wordBreak: "break-all" }}>
        {shown ? value : masked}
      </Text>
      {secret && (
        <Tooltip label={shown ? "Hide" : "Show"}>
          <ActionIcon
            variant="subtle"
            color="gray"
            onClick={() => setShown((s) => !s)}
            aria-label={`${shown ? "Hide" : "Show"} ${label}`}
          >
            {shown ? <IconEyeOff size={16} /> : <IconEye size={16} />}
          </ActionIcon>
        </Tooltip>
      )}
      <CopyButton value={value} timeout={1500}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? "Copied" : "Copy"}>
            <ActionIcon
              variant="subtle"
              color={copied ? "teal" : "gray"}
              onClick={copy}
              aria-label={`Copy ${label}`}
            >
              {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}
