import { describe, expect, it } from "vitest";
import { addMonths, isDepartmentCode, monthRange, parsePeriod, parseUnit } from "./catalogue";
import {
  formatCompactFr,
  formatCsvNumber,
  formatGeneratedAtFr,
  formatMonthFr,
  formatMonthShortFr,
  formatNumberFr,
  formatPercentFr,
  parseFrenchNumber,
} from "./format";

const S = "\u00a0";

describe("French number formats", () => {
  it("groups thousands with a no-break space and uses a decimal comma", () => {
    expect(formatNumberFr(0)).toBe("0");
    expect(formatNumberFr(999)).toBe("999");
    expect(formatNumberFr(1000)).toBe(`1${S}000`);
    expect(formatNumberFr(250_000_000)).toBe(`250${S}000${S}000`);
    expect(formatNumberFr(1234.567, 2)).toBe(`1${S}234,57`);
    expect(formatNumberFr(-1234.5, 1)).toBe(`-1${S}234,5`);
    expect(formatNumberFr(Number.NaN)).toBe("–");
  });
  it("formats percentages and compact axis labels", () => {
    expect(formatPercentFr(45.25)).toBe(`45,3${S}%`);
    expect(formatPercentFr(50, 0)).toBe(`50${S}%`);
    expect(formatCompactFr(250_000_000)).toBe(`250${S}M`);
    expect(formatCompactFr(1_200_000_000)).toBe(`1,2${S}Md`);
    expect(formatCompactFr(4_500)).toBe(`4,5${S}k`);
    expect(formatCompactFr(12)).toBe("12");
  });
  it("writes CSV numbers with a decimal comma and no separator", () => {
    expect(formatCsvNumber(1234567)).toBe("1234567");
    expect(formatCsvNumber(12.5)).toBe("12,5");
    expect(formatCsvNumber(12.345, 1)).toBe("12,3");
  });
  it("parses numbers as people type them", () => {
    expect(parseFrenchNumber("1234")).toBe(1234);
    expect(parseFrenchNumber("1 234 567")).toBe(1234567);
    expect(parseFrenchNumber(`1${S}234,5`)).toBe(1234.5);
    expect(parseFrenchNumber("1\u202f234")).toBe(1234);
    expect(parseFrenchNumber("12.5")).toBe(12.5);
    expect(parseFrenchNumber("-3")).toBe(-3);
    for (const bad of ["", "abc", "1.234,5", "12,", "1e6", "12 %"]) expect(parseFrenchNumber(bad)).toBeNull();
  });
});

describe("French month formats and periods", () => {
  it("names months in French", () => {
    expect(formatMonthFr("2022-02")).toBe("février 2022");
    expect(formatMonthFr("2026-08")).toBe("août 2026");
    expect(formatMonthShortFr("2024-12")).toBe("déc. 24");
  });
  it("validates periods, units and departments", () => {
    expect(parsePeriod("2024-03")).toBe("2024-03");
    for (const bad of ["2024-13", "2024-00", "2024-3", "03/2024", "1999-12"])
      expect(parsePeriod(bad)).toBeNull();
    expect(parseUnit("%")).toBe("percent");
    expect(parseUnit("Nombre")).toBe("count");
    expect(parseUnit("kg")).toBeNull();
    expect(isDepartmentCode("2A")).toBe(true);
    expect(isDepartmentCode("974")).toBe(true);
    expect(isDepartmentCode("20")).toBe(false);
    expect(isDepartmentCode("96")).toBe(false);
  });
  it("walks months across years", () => {
    expect(addMonths("2025-11", 3)).toBe("2026-02");
    expect(addMonths("2026-01", -1)).toBe("2025-12");
    expect(monthRange("2025-11", "2026-02")).toEqual(["2025-11", "2025-12", "2026-01", "2026-02"]);
  });
});

describe("French dates (Europe/Paris)", () => {
  it("gives the Paris wall-clock time, winter and summer", () => {
    expect(formatGeneratedAtFr(new Date("2026-11-01T05:00:00Z"))).toBe("1er novembre 2026 à 06:00");
    expect(formatGeneratedAtFr(new Date("2026-07-01T04:00:00Z"))).toBe("1er juillet 2026 à 06:00");
    // 31 December 23:30 UTC is already New Year in Paris.
    expect(formatGeneratedAtFr(new Date("2025-12-31T23:30:00Z"))).toBe("1er janvier 2026 à 00:30");
  });
});
