import { Button } from "@mantine/core";
import { IconMapSearch } from "@tabler/icons-react";
import { Link } from "react-router-dom";

import { EmptyState } from "../components/states";

export function NotFoundPage() {
  return (
    <EmptyState
      title="Page not found"
      icon={<IconMapSearch size={26} />}
      action={
        <Button component={Link} to="/">
          Go to projects
        </Button>
      }
    >
      The link may be old, or the item was deleted.
    </EmptyState>
  );
}
