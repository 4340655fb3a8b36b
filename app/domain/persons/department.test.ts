import { describe, expect, it } from "vitest";
import { departmentOfPostalCode as rollsDepartmentOfPostalCode } from "../rolls/rules";
import { departmentOfPostalCode } from "./department";

describe("department of a postal code", () => {
  it.each([
    ["01000", "01"],
    ["06000", "06"],
    ["13001", "13"],
    ["19100", "19"],
    ["21000", "21"],
    ["31000", "31"],
    ["44000", "44"],
    ["75001", "75"],
    ["95000", "95"],
  ])("mainland %s → %s", (code, department) => {
    expect(departmentOfPostalCode(code)).toBe(department);
  });

  it.each([
    ["20000", "2A"],
    ["20090", "2A"],
    ["20100", "2A"],
    ["20167", "2A"],
    ["20199", "2A"],
    ["20200", "2B"],
    ["20218", "2B"],
    ["20600", "2B"],
    ["20620", "2B"],
  ])("Corsica %s → %s (200xx–201xx Corse-du-Sud, from 202xx Haute-Corse)", (code, department) => {
    expect(departmentOfPostalCode(code)).toBe(department);
  });

  it.each([
    ["97100", "971"],
    ["97110", "971"],
    ["97200", "972"],
    ["97300", "973"],
    ["97400", "974"],
    ["97500", "975"],
    ["97600", "976"],
    ["98000", "980"],
    ["98800", "988"],
  ])("overseas %s → %s", (code, department) => {
    expect(departmentOfPostalCode(code)).toBe(department);
  });

  it("is the rule the rolls' fast path follows, for every head from 010 to 999", () => {
    for (let head = 10; head < 1000; head++) {
      for (const tail of ["00", "19", "99"]) {
        const code = `${String(head).padStart(3, "0")}${tail}`;
        expect(rollsDepartmentOfPostalCode(code), code).toBe(departmentOfPostalCode(code));
      }
    }
  });
});
