/**
 * The names of a roll's working tables, created and dropped by its import: the UNLOGGED staging table
 * that the parse COPYs the valid rows into, and a first load's table of dependants. They live in the
 * `roll_staging` schema, the only one where the application role may create tables (ADR 027).
 */
export const STAGING_SCHEMA = "roll_staging";
export const stagingTable = (rollId: number) => `${STAGING_SCHEMA}.roll_staging_${Math.trunc(rollId)}`;
export const dependantsTable = (rollId: number) => `${STAGING_SCHEMA}.roll_dependants_${Math.trunc(rollId)}`;
