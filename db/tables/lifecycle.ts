// Tables of the lifecycle context: one interface per table, listed in LifecycleTables. Owned by that context.
// biome-ignore lint/suspicious/noEmptyInterface: filled by the lifecycle context
export interface LifecycleTables {}
