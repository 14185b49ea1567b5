import { describe, expect, it } from "vitest";

import type { AuditRead, LdapConfigRead } from "../../api/types";
import { ldapBody, testBody } from "../admin/LdapPanel";
import { actionLabel, eventDetails } from "../admin/SecurityEvents";
import { cleanMapping } from "../admin/SsoPanel";
import { parseArguments } from "../changes/EditChangeModal";
import { toLocalInput } from "../schedules/SchedulesPanel";

const form: Omit<LdapConfigRead, "has_bind_password" | "updated_at"> = {
  enabled: true,
  url: "ldap://dir:389",
  start_tls: false,
  tls_verify: true,
  tls_ca_cert: "",
  bind_dn: "cn=svc",
  user_base_dn: "ou=people",
  user_filter: "(objectClass=person)",
  username_attribute: "uid",
  email_attribute: "mail",
  timeout_seconds: 10,
  sync_interval_seconds: 3600,
};

describe("pending change editing", () => {
  it("accepts a JSON object only", () => {
    expect(parseArguments('{"enabled": false}').value).toEqual({ enabled: false });
    expect(parseArguments("[1]").error).toMatch(/object/);
    expect(parseArguments("null").error).toMatch(/object/);
    expect(parseArguments("{oops").error).toBe("Not valid JSON");
  });
});

describe("schedule editing", () => {
  it("shows an instant as local wall time for datetime-local", () => {
    const iso = new Date(2026, 0, 2, 3, 4).toISOString();
    expect(toLocalInput(iso)).toBe("2026-01-02T03:04");
    expect(toLocalInput(null)).toBe("");
    expect(toLocalInput("nonsense")).toBe("");
  });
});

describe("LDAP settings", () => {
  it("sends the bind password only when typed, and clears it on request", () => {
    expect(ldapBody(form, "", false)).not.toHaveProperty("bind_password");
    expect(ldapBody(form, "s3cret", false).bind_password).toBe("s3cret");
    expect(ldapBody(form, "s3cret", true).bind_password).toBe("");
  });

  it("tests the connection without the sync interval (the server rejects unknown fields)", () => {
    const body = testBody(form, "pw", false);
    expect(body).not.toHaveProperty("sync_interval_seconds");
    expect(body.url).toBe("ldap://dir:389");
    expect(body.bind_password).toBe("pw");
  });
});

describe("SSO providers", () => {
  it("leaves unmapped attributes out", () => {
    expect(cleanMapping({ username: "", email: "mail" })).toEqual({ email: "mail" });
  });
});

describe("security events", () => {
  const event = (extra: Partial<AuditRead>): AuditRead => ({
    id: 1,
    project_id: null,
    environment_id: null,
    feature_id: null,
    entity: "user",
    entity_id: "u1",
    action: "login_failed",
    actor: "alice",
    user_id: "u1",
    username: "alice",
    request_id: null,
    old_value: null,
    new_value: null,
    created_at: "2026-01-01T00:00:00Z",
    ...extra,
  });

  it("words actions and details", () => {
    expect(actionLabel("login_failed")).toBe("Login failed");
    expect(eventDetails(event({ new_value: { ip: "10.0.0.1", reason: "", n: 2 } }))).toBe(
      "ip: 10.0.0.1 · n: 2",
    );
    expect(eventDetails(event({}))).toBe("");
  });
});
