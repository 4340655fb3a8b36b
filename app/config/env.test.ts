import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env.server";

const env = (vars: Record<string, string>) => parseEnv({ NODE_ENV: "test", ...vars });

describe("environment", () => {
  it("sends batches between 08:00 and 20:00 Paris time unless SEND_HOURS says otherwise", () => {
    expect(env({}).SEND_HOURS).toEqual({ from: 8, to: 20 });
    expect(env({ SEND_HOURS: "0-24" }).SEND_HOURS).toEqual({ from: 0, to: 24 });
  });

  it("refuses sending hours that are not a range within the day, naming the variable", () => {
    for (const bad of ["20-8", "8-25", "8h-20h", "8"]) {
      expect(() => env({ SEND_HOURS: bad })).toThrow(EnvError);
      expect(() => env({ SEND_HOURS: bad })).toThrow(/SEND_HOURS/);
    }
  });

  it("refuses the removed email provider variables and a sender or relay it could not use, naming them", () => {
    expect(() => env({ EMAIL_PROVIDER_URL: "https://mail.example" })).toThrow(
      /EMAIL_PROVIDER_URL retirée : utilisez SMTP_URL/,
    );
    expect(() => env({ SMTP_URL: "https://relay.example" })).toThrow(/SMTP_URL/);
    expect(() => env({ MAIL_FROM: "Assurance Maladie" })).toThrow(/MAIL_FROM/);
    expect(env({ MAIL_FROM: "CPAM <cpam@exemple.fr>" }).MAIL_FROM).toBe("CPAM <cpam@exemple.fr>");
    expect(env({}).MAIL_FROM).toBe("Assurance Maladie <assurance-maladie@info.ameli.fr>");
  });
});
