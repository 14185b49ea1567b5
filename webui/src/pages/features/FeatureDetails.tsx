// Name, description and tags of a feature (shared by all environments).
import { Button, Group, MultiSelect, Stack, TextInput, Textarea } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { api, unwrap } from "../../api/client";
import type { FeatureDetailRead } from "../../api/types";
import { SplitByInput } from "../../components/SplitByInput";
import { InlineError } from "../../components/states";
import { keys, useTags } from "../../hooks/queries";

export function FeatureDetails({
  feature,
  readOnly,
}: {
  feature: FeatureDetailRead;
  readOnly: boolean;
}) {
  const [name, setName] = useState(feature.name);
  const [description, setDescription] = useState(feature.description);
  const [tags, setTags] = useState<string[]>(feature.tags);
  const [splitBy, setSplitBy] = useState(feature.rollout_key ?? "");
  const tagList = useTags(feature.project_id);
  const client = useQueryClient();
  useEffect(() => {
    setName(feature.name);
    setDescription(feature.description);
    setTags(feature.tags);
    setSplitBy(feature.rollout_key ?? "");
  }, [feature.name, feature.description, feature.tags, feature.rollout_key]);
  const dirty =
    name !== feature.name ||
    description !== feature.description ||
    tags.join(",") !== feature.tags.join(",") ||
    splitBy.trim() !== (feature.rollout_key ?? "");
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH("/api/v1/features/{feature_id}", {
          params: { path: { feature_id: feature.id } },
          // "" clears the attribute: the split goes back to the default order
          body: { name, description, tags, rollout_key: splitBy.trim() },
        }),
      ),
    onSuccess: () => {
      notifications.show({ color: "teal", message: "Details saved" });
      void client.invalidateQueries({ queryKey: keys.feature(feature.id) });
      void client.invalidateQueries({ queryKey: keys.features(feature.project_id) });
    },
  });
  const tagData = (tagList.data ?? []).map((t) => ({ value: t.slug, label: t.name }));
  for (const t of tags)
    if (!tagData.some((d) => d.value === t)) tagData.push({ value: t, label: t });
  return (
    <Stack gap="sm">
      <TextInput
        label="Name"
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        readOnly={readOnly}
      />
      <Textarea
        label="Description"
        value={description}
        onChange={(e) => setDescription(e.currentTarget.value)}
        autosize
        minRows={2}
        readOnly={readOnly}
      />
      {feature.kind === "multivariant" && (
        <SplitByInput value={splitBy} onChange={setSplitBy} readOnly={readOnly} />
      )}
      <MultiSelect
        label="Tags"
        description="guarded, auto-disable and critical are safety tags"
        data={tagData}
        value={tags}
        onChange={setTags}
        searchable
        readOnly={readOnly}
      />
      {save.error && <InlineError error={save.error} />}
      {!readOnly && (
        <Group justify="flex-end">
          <Button
            size="xs"
            disabled={!dirty}
            loading={save.isPending}
            onClick={() => save.mutate()}
          >
            Save details
          </Button>
        </Group>
      )}
    </Stack>
  );
}
