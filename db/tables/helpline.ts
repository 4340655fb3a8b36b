// Tables of the helpline context: one interface per table, listed in HelplineTables. Owned by that context.
// biome-ignore lint/suspicious/noEmptyInterface: filled by the helpline context
export interface HelplineTables {}
