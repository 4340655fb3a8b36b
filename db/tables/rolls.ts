// Tables of the rolls context: one interface per table, listed in RollsTables. Owned by that context.
// biome-ignore lint/suspicious/noEmptyInterface: filled by the rolls context
export interface RollsTables {}
