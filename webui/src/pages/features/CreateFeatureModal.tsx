import {
  Button,
  Group,
  Modal,
  MultiSelect,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
  Textarea,
} from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";

import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import { SplitByInput } from "../../components/SplitByInput";
import { InlineError } from "../../components/states";
import { keys, useTags } from "../../hooks/queries";

// The API's key pattern, said in words next to the field instead of as a regular expression.
const KEY_CHARS = /^[A-Za-z0-9_:@!#$.-]*$/;
const KEY_HINT = "Use only letters, digits and _ : @ ! # $ . - (no spaces or other signs)";

const slug = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 50);

export function CreateFeatureModal({
  pid,
  env,
  opened,
  onClose,
}: {
  pid: string;
  env: string | null;
  opened: boolean;
  onClose: () => void;
}) {
  const [name, setName] = useState("");
  const [key, setKey] = useState("");
  const [keyTouched, setKeyTouched] = useState(false);
  const [kind, setKind] = useState<"simple" | "multivariant">("simple");
  const [splitBy, setSplitBy] = useState("");
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState<string[]>([]);
  const tagList = useTags(pid);
  const client = useQueryClient();
  const navigate = useNavigate();
  const effectiveKey = keyTouched ? key : slug(name);

  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/projects/{project_id}/features", {
          params: { path: { project_id: pid } },
          body: {
            key: effectiveKey,
            name: name.trim(),
            kind,
            description,
            tags,
            rollout_key: kind === "multivariant" && splitBy.trim() ? splitBy.trim() : null,
          },
        }),
      ),
    onSuccess: (f) => {
      void client.invalidateQueries({ queryKey: keys.features(pid) });
      onClose();
      navigate(`/projects/${pid}/features/${f.id}${env ? `?env=${env}` : ""}`);
    },
  });
  const err = create.error instanceof ApiError ? create.error : null;
  const fieldError = (f: string) => (err && err.field === f ? describeError(err) : undefined);
  const keyError = KEY_CHARS.test(effectiveKey) ? fieldError("key") && KEY_HINT : KEY_HINT;
  const takenError = err?.status === 409 ? describeError(err) : undefined;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };

  return (
    <Modal opened={opened} onClose={onClose} title="New feature" size="lg">
      <form onSubmit={submit}>
        <Stack>
          <TextInput
            label="Name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={fieldError("name")}
            required
            data-autofocus
          />
          <TextInput
            label="Key"
            description="What your code asks for. Letters, digits and _ : @ ! # $ . -"
            value={effectiveKey}
            onChange={(e) => {
              setKeyTouched(true);
              setKey(e.currentTarget.value);
            }}
            error={keyError ?? takenError}
            classNames={{ input: "mono" }}
            required
          />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="kind-label">
              Kind
            </Text>
            <SegmentedControl
              aria-labelledby="kind-label"
              value={kind}
              onChange={(v) => setKind(v as "simple" | "multivariant")}
              data={[
                { value: "simple", label: "Simple (on / off)" },
                { value: "multivariant", label: "Multivariant (A/B/n)" },
              ]}
            />
          </Stack>
          {kind === "multivariant" && (
            <SplitByInput value={splitBy} onChange={setSplitBy} error={fieldError("rollout_key")} />
          )}
          <Textarea
            label="Description"
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
            autosize
            minRows={2}
          />
          <MultiSelect
            label="Tags"
            data={(tagList.data ?? []).map((t) => ({ value: t.slug, label: t.name }))}
            value={tags}
            onChange={setTags}
            searchable
            clearable
          />
          {create.error &&
            !keyError &&
            !takenError &&
            !fieldError("name") &&
            !fieldError("rollout_key") && <InlineError error={create.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button
              type="submit"
              loading={create.isPending}
              disabled={!name.trim() || effectiveKey.length < 2 || !KEY_CHARS.test(effectiveKey)}
            >
              Create feature
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
