import { describe, expect, it } from "vitest";
import { pageParam, recordId, recordIdParam } from "./params";

describe("route numbers", () => {
  it("reads a record id from a path only when PostgreSQL can hold it", () => {
    expect(recordIdParam("42")).toBe(42);
    for (const bad of ["0", "-3", "1.5", "abc", "", "9999999999999999999999", "1e20", undefined, null])
      expect(recordIdParam(bad)).toBeNull();
  });

  it("refuses a posted id of 10^20 with the field's own message instead of letting it reach the database", () => {
    const field = recordId("File : obligatoire.");
    expect(field.safeParse("7")).toEqual({ success: true, data: 7 });
    for (const bad of ["100000000000000000000", "-1", "NaN", "abc", "2.5"]) {
      const parsed = field.safeParse(bad);
      expect(parsed.success).toBe(false);
      if (!parsed.success) expect(parsed.error.issues[0]?.message).toBe("File : obligatoire.");
    }
  });

  it("keeps a page number within its bounds", () => {
    expect(pageParam("3")).toBe(3);
    expect(pageParam("9999999999999999999999")).toBe(1);
    expect(pageParam("5000000")).toBe(1_000_000);
  });
});
