import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { funnelCsv } from "../../app/domain/funnel/funnel-csv.server";
import { chartCsv } from "../../app/domain/kpi/chart-csv.server";
import { manifestCsv } from "../../reports/letters/manifest";

/**
 * Every export goes through the one CSV writer: values from rolls, wave names and labels that Excel would
 * run as formulas come out neutralised; numbers, negative ones included, stay numbers. (The rejects file
 * is checked against a real import in file-formats.test.ts.)
 */
const FORMULA = '=HYPERLINK("http://x";"clic")';
const cellsOf = (csv: string) =>
  (parse(csv.replace(/^\uFEFF/, ""), { delimiter: ";", relax_column_count: true }) as string[][]).flat();
const unsafe = (cells: string[]) => cells.filter((c) => /^[=+@\t\r]/.test(c) || /^-[^\d]/.test(c));

describe("exports cannot run formulas", () => {
  it("the print manifest", () => {
    const csv = manifestCsv([
      {
        batch: "L1",
        sequence: 1,
        name: FORMULA,
        addressLine: "@SUM(A1:A2)",
        postalCode: "+31000",
        city: "-cmd",
      },
    ]);
    const cells = cellsOf(csv);
    expect(cells).toEqual(expect.arrayContaining([`'${FORMULA}`, "'@SUM(A1:A2)", "'+31000", "'-cmd"]));
    expect(unsafe(cells)).toEqual([]);
  });

  it("the funnel", () => {
    const counts = {
      pending: 0,
      reached: 3,
      notified: 1,
      activated: 1,
      opposed: 1,
      auto_created: 0,
      closed: 0,
    };
    const csv = funnelCsv(
      [{ ...counts, department: "31", waveId: 1, waveName: FORMULA }],
      [{ day: "2022-02-12", notified: 3, activated: 1, opposed: 1, auto_created: 0, closed: 0 }],
      "exact",
    );
    expect(cellsOf(csv)).toContain(`'${FORMULA}`);
    expect(unsafe(cellsOf(csv))).toEqual([]);
    expect(csv.split("\r\n")[1]).toBe(`31;"'=HYPERLINK(""http://x"";""clic"")";3;1;1;1;0;0;33,3;33,3;0,0`);
  });

  it("the KPI tables, whose negative figures stay numbers and whose rounded zeros have no sign", () => {
    const csv = chartCsv({
      id: "doctors",
      title: "t",
      rowHeader: "@Mois",
      columns: [
        { key: "a", label: FORMULA, unit: "percent" },
        { key: "b", label: "b", unit: "percent" },
      ],
      rows: [{ key: "2026-01", label: "janvier 2026", values: [-3.25, -0.04] }],
    });
    expect(csv).toBe(`\uFEFF'@Mois;"'=HYPERLINK(""http://x"";""clic"")";b\r\njanvier 2026;-3,3;0,0\r\n`);
  });
});
