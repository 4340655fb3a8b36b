import { describe, expect, it } from "vitest";
import { DOMAIN_ERROR_CODES, DomainError, type DomainErrorCode } from "../domain/domain-error";
import { HelplineError, type HelplineErrorCode } from "../domain/helpline/errors";
import { ObservationFileError } from "../domain/kpi/observation-file";
import { TargetRefused } from "../domain/kpi/targets.server";
import { EncodingError } from "../domain/rolls/byte-records";
import { RollNotFound, RollNotInState } from "../domain/rolls/roll";
import { WaveError } from "../domain/waves/waves.server";
import { fieldErrorsOf, httpStatusOf, refusal, refusalResponse } from "./domain-error";

const GENERAL: Record<DomainErrorCode, number> = {
  not_found: 404,
  forbidden: 403,
  not_allowed: 409,
  conflict: 409,
  invalid: 422,
  precondition: 428,
  rate_limited: 429,
};

// The statuses the helpline routes answered before the general mapping (its own httpStatusOf switch).
const HELPLINE: Record<HelplineErrorCode, number> = {
  not_found: 404,
  not_an_agent: 403,
  not_yours: 403,
  identity_check_required: 428,
  identity_incomplete: 428,
  reset_limit: 429,
  refused: 422,
  invalid: 422,
  capacity: 422,
  conflict: 409,
};

describe("httpStatusOf", () => {
  it.each(DOMAIN_ERROR_CODES)("maps %s", (code) => {
    expect(httpStatusOf(new DomainError(code, "refusé"))).toBe(GENERAL[code]);
  });

  it("lists every general code once", () => {
    expect([...DOMAIN_ERROR_CODES].sort()).toEqual(Object.keys(GENERAL).sort());
  });

  it.each(Object.entries(HELPLINE) as Array<[HelplineErrorCode, number]>)(
    "keeps the helpline's %s at %i",
    (code, status) => {
      const error = new HelplineError(code, "refusé");
      expect(error.code).toBe(code);
      expect(httpStatusOf(error)).toBe(status);
    },
  );

  it("keeps the other contexts' statuses (waves: 404/409, rolls: 404)", () => {
    expect(httpStatusOf(new WaveError("not_found", "vague introuvable"))).toBe(404);
    expect(httpStatusOf(new WaveError("not_allowed", "impossible"))).toBe(409);
    expect(httpStatusOf(new RollNotFound("fichier n° 1 introuvable"))).toBe(404);
    expect(httpStatusOf(new RollNotInState("plus en attente"))).toBe(409);
    expect(httpStatusOf(new TargetRefused("indicateur inconnu"))).toBe(422);
    expect(httpStatusOf(new ObservationFileError("fichier vide"))).toBe(422);
    expect(httpStatusOf(new EncodingError("pas de l'UTF-8"))).toBe(422);
  });
});

describe("the context errors", () => {
  it("are DomainErrors that keep their class, name and message", () => {
    const errors = [
      new HelplineError("reset_limit", "m"),
      new WaveError("not_found", "m"),
      new RollNotFound("m"),
      new RollNotInState("m"),
      new TargetRefused("m"),
      new ObservationFileError("m"),
      new EncodingError("m"),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toBe("m");
    }
    expect(errors.map((e) => e.name)).toEqual([
      "HelplineError",
      "WaveError",
      "RollNotFound",
      "RollNotInState",
      "TargetRefused",
      "ObservationFileError",
      "EncodingError",
    ]);
  });

  it("use the general code as their own when they have no finer one", () => {
    expect(new WaveError("not_allowed", "m")).toMatchObject({ kind: "not_allowed", code: "not_allowed" });
    expect(new RollNotFound("m")).toMatchObject({ kind: "not_found", code: "not_found" });
    expect(new HelplineError("not_yours", "m")).toMatchObject({ kind: "forbidden", code: "not_yours" });
  });
});

describe("the route helpers", () => {
  it("answer the refusal as JSON at its status", async () => {
    const response = refusal(new HelplineError("reset_limit", "trois réinitialisations déjà aujourd'hui"));
    expect(response.status).toBe(429);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await response.json()).toEqual({ ok: false, message: "trois réinitialisations déjà aujourd'hui" });
    const api = refusal(new WaveError("not_found", "vague introuvable"), { error: "vague introuvable" });
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: "vague introuvable" });
  });

  it("answer a loader's refusal as text at its status", async () => {
    const response = refusalResponse(new RollNotFound("fichier n° 7 introuvable"));
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("fichier n° 7 introuvable");
  });

  it("put a form's refusal on its field, or on the fallback", () => {
    expect(fieldErrorsOf(new TargetRefused("indicateur inconnu : X"), "indicator")).toEqual({
      value: ["indicateur inconnu : X"],
    });
    expect(fieldErrorsOf(new DomainError("invalid", "non"), "value")).toEqual({ value: ["non"] });
  });
});
