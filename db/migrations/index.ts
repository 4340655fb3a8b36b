import type { Migration } from "kysely";
import * as foundation from "./2026_11_23_1200_foundation";
import * as authExtras from "./2026_11_23_1250_auth_extras";
import * as rolls from "./2026_11_23_1300_rolls";
import * as waves from "./2026_11_23_1400_waves";
import * as wavesBulk from "./2026_11_23_1410_waves_bulk";
import * as wavesCodeLookup from "./2026_11_23_1420_waves_code_lookup";
import * as wavesMemberHot from "./2026_11_23_1430_waves_member_hot";
import * as lifecycle from "./2026_11_23_1500_lifecycle";
import * as helpline from "./2026_11_23_1600_helpline";
import * as kpi from "./2026_11_23_1700_kpi";
import * as rollsBulkMerge from "./2026_11_23_1800_rolls_bulk_merge";
import * as wavesPerf from "./2026_11_23_1810_waves_perf";
import * as personBulkCosts from "./2026_12_05_1200_person_bulk_costs";
import * as personDepartmentKeyset from "./2026_12_05_1210_person_department_keyset";
import * as rollupInsertedPending from "./2026_12_05_1220_rollup_inserted_pending";
import * as wavesMemberWrites from "./2026_12_05_1300_waves_member_writes";
import * as wavesMemberCode from "./2026_12_05_1640_waves_member_code";
import * as rollPersonBlock from "./2026_12_06_0140_roll_person_block";
import * as personDepartmentKey from "./2026_12_06_0200_person_department_key";
import * as personRoll from "./2026_12_06_0300_person_roll";
import * as personDepartmentCode from "./2026_12_06_0400_person_department_code";
import * as signedRequestSeen from "./2026_12_07_0900_signed_request_seen";
import * as emailSubmission from "./2026_12_07_1300_email_submission";
import * as workerPresence from "./2026_12_07_1600_worker_presence";
import * as appRole from "./2026_12_07_1610_app_role";
import * as emailEvents from "./2026_12_07_1620_email_events";
import * as portalCodeReset from "./2026_12_07_1630_portal_code_reset";
import * as retention from "./2026_12_07_1635_retention";
import * as kpiReference from "./2026_12_07_1640_kpi_reference";
import * as personExport from "./2026_12_07_1730_person_export";

/**
 * Every migration, by name (names sort in application order). Listed statically rather than read from the
 * folder, so that the same list works under tsx, vitest and any bundle. Add one line per new file.
 */
export const MIGRATIONS: Record<string, Migration> = {
  "2026_11_23_1200_foundation": foundation,
  "2026_11_23_1250_auth_extras": authExtras,
  "2026_11_23_1700_kpi": kpi,
  "2026_11_23_1300_rolls": rolls,
  "2026_11_23_1400_waves": waves,
  "2026_11_23_1410_waves_bulk": wavesBulk,
  "2026_11_23_1420_waves_code_lookup": wavesCodeLookup,
  "2026_11_23_1430_waves_member_hot": wavesMemberHot,
  "2026_11_23_1500_lifecycle": lifecycle,
  "2026_11_23_1600_helpline": helpline,
  "2026_11_23_1800_rolls_bulk_merge": rollsBulkMerge,
  "2026_11_23_1810_waves_perf": wavesPerf,
  "2026_12_05_1200_person_bulk_costs": personBulkCosts,
  "2026_12_05_1210_person_department_keyset": personDepartmentKeyset,
  "2026_12_05_1220_rollup_inserted_pending": rollupInsertedPending,
  "2026_12_05_1300_waves_member_writes": wavesMemberWrites,
  "2026_12_05_1640_waves_member_code": wavesMemberCode,
  "2026_12_06_0140_roll_person_block": rollPersonBlock,
  "2026_12_06_0200_person_department_key": personDepartmentKey,
  "2026_12_06_0300_person_roll": personRoll,
  "2026_12_06_0400_person_department_code": personDepartmentCode,
  "2026_12_07_0900_signed_request_seen": signedRequestSeen,
  "2026_12_07_1300_email_submission": emailSubmission,
  "2026_12_07_1600_worker_presence": workerPresence,
  "2026_12_07_1610_app_role": appRole,
  "2026_12_07_1620_email_events": emailEvents,
  "2026_12_07_1630_portal_code_reset": portalCodeReset,
  "2026_12_07_1635_retention": retention,
  "2026_12_07_1640_kpi_reference": kpiReference,
  "2026_12_07_1730_person_export": personExport,
};
