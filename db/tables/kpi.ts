// Tables of the kpi context: one interface per table, listed in KpiTables. Owned by that context.
// biome-ignore lint/suspicious/noEmptyInterface: filled by the kpi context
export interface KpiTables {}
