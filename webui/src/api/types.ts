// Short names for the generated OpenAPI schemas, so components never spell `components["schemas"]`.
import type { components } from "./schema";

type S = components["schemas"];

export type TokenRead = S["TokenRead"];
export type MeRead = S["MeRead"];
export type UserRead = S["UserRead"];
export type RoleRead = S["RoleRead"];
export type MembershipRead = S["MembershipRead"];
export type ProjectRead = S["ProjectRead"];
export type EnvironmentRead = S["EnvironmentRead"];
export type ProjectSettingsRead = S["ProjectSettingsRead"];
export type FeatureRead = S["FeatureRead"];
export type FeatureListItem = S["FeatureListItem"];
export type FeatureDetailRead = S["FeatureDetailRead"];
export type StateRead = S["StateRead"];
export type StateWrite = S["StateWrite"];
export type RuleRead = S["RuleRead"];
export type RuleWrite = S["RuleWrite"];
export type VariantModel = S["VariantModel"];
export type SegmentRead = S["SegmentRead"];
export type SegmentUsageRead = S["SegmentUsageRead"];
export type TagRead = S["TagRead"];
export type CategoryRead = S["CategoryRead"];
export type AuditRead = S["AuditRead"];
export type ExplainRead = S["ExplainRead"];
export type AttributeModel = S["AttributeModel"];
export type PendingChangeRead = S["PendingChangeRead"];

/** Guarded features answer a write with 202 and the pending change instead of the new state. */
export function isPendingChange(value: unknown): value is PendingChangeRead {
  return (
    typeof value === "object" &&
    value !== null &&
    "operation" in value &&
    "required_approvals" in value
  );
}
export type AlgorithmRead = S["AlgorithmRead"];
export type AttachmentRead = S["AttachmentRead"];
export type ResultsRead = S["ResultsRead"];
export type ScheduleRead = S["ScheduleRead"];
export type ScheduleWrite = S["ScheduleWrite"];
export type TimelineRead = S["TimelineRead"];
export type GovernanceSettingsRead = S["GovernanceSettingsRead"];
export type ChannelRead = S["ChannelRead"];
export type AuditPage = S["PageRead_AuditRead_"];
export type HistoryItemRead = S["HistoryItemRead"];
export type LdapConfigRead = S["LdapConfigRead"];
export type LdapConfigUpdate = S["LdapConfigUpdate"];
export type LdapTestRead = S["LdapTestRead"];
export type SyncRunRead = S["SyncRunRead"];
export type ProviderRead = S["ProviderRead"];
export type ProviderWrite = S["ProviderWrite"];
export type StaleFeatureRead = S["StaleFeatureRead"];
export type LdapTestRequest = S["LdapTestRequest"];
