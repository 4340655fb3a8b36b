import { describe, expect, it } from "vitest";
import { defaultFormValues, readWaveForm, validateWaveForm, waveFormQuery } from "./wave-form";

const today = "2026-11-23";

describe("wave builder form", () => {
  it("accepts the pilot preset with defaults, start in Paris time", () => {
    const r = validateWaveForm(
      { ...defaultFormValues(today, true), name: "Pilote" },
      {
        requireName: true,
        today,
      },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.segment.departments).toEqual(["31", "44", "80"]);
    expect(r.settings.startAt.toISOString()).toBe("2026-11-23T07:00:00.000Z"); // 08:00 Paris in winter
    expect(r.settings).toMatchObject({
      postalDelayDays: 3,
      windowDays: 42,
      batchSize: 5000,
      workingDaysOnly: true,
    });
  });

  it("names each bad field in French", () => {
    const r = validateWaveForm(
      {
        ...defaultFormValues(today),
        name: "x",
        ageMin: "70",
        ageMax: "20",
        letterCapacityPerDay: "0",
        emailCapacityPerHour: "beaucoup",
        startDate: "23/11/2026",
      },
      { requireName: true, today },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toMatchObject({
      name: "Nom : entre 3 et 120 caractères",
      departments: "Choisissez au moins un département",
      ageMax: "L'âge maximum doit être supérieur ou égal à l'âge minimum",
      letterCapacityPerDay: expect.stringContaining("Capacité courrier par jour : entre 1"),
      emailCapacityPerHour: "Capacité e-mail par heure : nombre entier attendu",
      startDate: "Date de début : format AAAA-MM-JJ",
    });
  });

  it("refuses a start date before today (Paris), on the start date field; today is accepted", () => {
    const past = validateWaveForm(
      { ...defaultFormValues(today, true), name: "Pilote", startDate: "2026-11-22" },
      { requireName: true, today },
    );
    expect(past.ok).toBe(false);
    if (past.ok) return;
    expect(past.errors).toEqual({
      startDate: "Date de début dans le passé : au plus tôt aujourd'hui (23/11/2026)",
    });
    const sameDay = validateWaveForm(
      { ...defaultFormValues(today, true), name: "Pilote", startTime: "00:00" },
      { requireName: true, today },
    );
    expect(sameDay.ok).toBe(true);
  });

  it("says each refusal once, on its own field (the age order under the maximum age, not « Départements »)", () => {
    const r = validateWaveForm(
      { ...defaultFormValues(today, true), name: "Pilote", ageMin: "70", ageMax: "20" },
      { requireName: true, today },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual({ ageMax: "L'âge maximum doit être supérieur ou égal à l'âge minimum" });
  });

  it("round-trips through the query string (preview links)", () => {
    const values = {
      ...defaultFormValues(today, true),
      name: "Relance",
      mode: "renotify",
      forceLetters: true,
      rollIds: ["4"],
    };
    const back = readWaveForm(new URLSearchParams(waveFormQuery(values)), today);
    expect(back).toEqual(values);
  });
});
