import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { presentCell, SUPPRESSED_LABEL } from "./suppression";

describe("presentCell (small-cell suppression)", () => {
  it.each([0, 1, 5, 9, 9.99])("hides the count %s", (n) => {
    for (const format of ["display", "csv"] as const) {
      expect(presentCell(n, "count", format)).toEqual({
        value: null,
        text: SUPPRESSED_LABEL,
        suppressed: true,
      });
    }
  });
  it("shows counts from 10", () => {
    expect(presentCell(10, "count")).toEqual({ value: 10, text: "10", suppressed: false });
    expect(presentCell(1234567, "count").text).toBe("1\u00a0234\u00a0567");
    expect(presentCell(1234567, "count", "csv").text).toBe("1234567");
  });
  it("never hides a percentage", () => {
    expect(presentCell(4.5, "percent")).toEqual({ value: 4.5, text: "4,5\u00a0%", suppressed: false });
    expect(presentCell(4.5, "percent", "csv").text).toBe("4,5");
  });
  it("shows a missing value as a dash (empty in CSV)", () => {
    expect(presentCell(null, "count").text).toBe("–");
    expect(presentCell(undefined, "count", "csv").text).toBe("");
  });
  it("never lets a count below 10 through (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.constantFrom("display" as const, "csv" as const),
        (n, f) => {
          const cell = presentCell(n, "count", f);
          if (n < 10) expect(cell.suppressed && cell.value === null && cell.text === "< 10").toBe(true);
          else expect(cell.value).toBe(n);
        },
      ),
    );
  });
});
