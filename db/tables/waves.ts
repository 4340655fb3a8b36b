// Tables of the waves context: one interface per table, listed in WavesTables. Owned by that context.
// biome-ignore lint/suspicious/noEmptyInterface: filled by the waves context
export interface WavesTables {}
