import type { ColumnType, Generated } from "kysely";
import type { DefaultTimestamp } from "./core";

/** numeric is parsed to number by db/connection.ts; months are first days, read back with to_char. */
type Numeric = ColumnType<number, number | string, number | string>;
type MonthDate = ColumnType<Date, string, string>;

export interface KpiIndicatorTable {
  code: string;
  label: string;
  unit: "count" | "percent";
  periodicity: Generated<"month">;
  aggregation: "sum" | "last";
  breakdown_label: string | null;
  breakdowns: ColumnType<Array<{ code: string; label: string }>, string | undefined, string>;
  by_department: Generated<boolean>;
  computed: Generated<boolean>;
  source_note: Generated<string>;
  sort_order: Generated<number>;
}

export interface KpiTargetTable {
  id: Generated<number>;
  indicator_code: string;
  year: number;
  value: Numeric;
  note: Generated<string>;
  created_at: DefaultTimestamp;
  created_by: number | null;
  superseded_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type KpiSource = "upload" | "cli" | "api" | "campaign" | "demo";

export interface KpiImportTable {
  id: Generated<number>;
  source: KpiSource;
  file_name: string | null;
  received_at: DefaultTimestamp;
  user_id: number | null;
  rows: Generated<number>;
  created: Generated<number>;
  revised: Generated<number>;
  unchanged: Generated<number>;
}

export interface KpiObservationTable {
  indicator_code: string;
  period: MonthDate;
  breakdown: Generated<string>;
  department: Generated<string>;
  value: Numeric;
  revision: Generated<number>;
  source: KpiSource;
  import_id: number | null;
  recorded_at: DefaultTimestamp;
}

export interface KpiObservationRevisionTable {
  id: Generated<number>;
  indicator_code: string;
  period: MonthDate;
  breakdown: string;
  department: string;
  value: Numeric;
  previous_value: Numeric | null;
  revision: number;
  source: KpiSource;
  import_id: number | null;
  recorded_at: DefaultTimestamp;
}

export interface KpiReportTable {
  id: Generated<number>;
  period: MonthDate;
  trigger: "cron" | "manual";
  file_name: string;
  size_bytes: number;
  pages: number;
  generated_at: DefaultTimestamp;
  requested_by: number | null;
}

export interface KpiTables {
  kpi_indicator: KpiIndicatorTable;
  kpi_target: KpiTargetTable;
  kpi_import: KpiImportTable;
  kpi_observation: KpiObservationTable;
  kpi_observation_revision: KpiObservationRevisionTable;
  kpi_report: KpiReportTable;
}
