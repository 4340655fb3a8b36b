import { describe, expect, it } from "vitest";
import { checkPassword } from "./password-policy";
import { safeRedirect } from "./safe-redirect";

describe("password policy", () => {
  it("refuses short and common passwords, accepts a long uncommon one", () => {
    expect(checkPassword("short")).toBe("too_short");
    expect(checkPassword("password1234")).toBe("too_common");
    expect(checkPassword("motdepasse123")).toBe("too_common");
    expect(checkPassword("Qx7-mauve-lanterne-91")).toBeNull();
  });
});

describe("safeRedirect", () => {
  it.each([
    ["/waves/3", "/waves/3"],
    ["//evil.example", "/"],
    ["https://evil.example", "/"],
    ["/\\evil", "/"],
    [undefined, "/"],
    ["/logout", "/"],
  ])("%s → %s", (input, expected) => {
    expect(safeRedirect(input)).toBe(expected);
  });
});
