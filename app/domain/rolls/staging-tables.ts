/**
 * The names of a roll's working tables, created and dropped by its import: the UNLOGGED staging table
 * that the parse COPYs the valid rows into, and a first load's table of dependants.
 */
export const stagingTable = (rollId: number) => `roll_staging_${Math.trunc(rollId)}`;
export const dependantsTable = (rollId: number) => `roll_dependants_${Math.trunc(rollId)}`;
