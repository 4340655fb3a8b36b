import type { Insertable, Selectable, Updateable } from "kysely";
import type { CoreTables, PersonEventTable, PersonTable } from "./tables/core";
import type { HelplineTables } from "./tables/helpline";
import type { KpiTables } from "./tables/kpi";
import type { LifecycleTables } from "./tables/lifecycle";
import type { RollsTables } from "./tables/rolls";
import type { WavesTables } from "./tables/waves";
import type { WorkerTables } from "./tables/workers";

/** The whole database, one file of tables per context (db/tables/), kept in step with db/migrations/. */
export interface Database
  extends CoreTables,
    RollsTables,
    WavesTables,
    LifecycleTables,
    HelplineTables,
    KpiTables,
    WorkerTables {}

export type PersonRow = Selectable<PersonTable>;
export type NewPerson = Insertable<PersonTable>;
export type PersonUpdate = Updateable<PersonTable>;
export type PersonEventRow = Selectable<PersonEventTable>;
export type { EventSource, PersonState } from "./tables/core";
