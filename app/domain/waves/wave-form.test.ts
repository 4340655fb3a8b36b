import { describe, expect, it } from "vitest";
import { defaultFormValues, readWaveForm, validateWaveForm, waveFormQuery } from "./wave-form";

const today = "2026-11-23";

describe("wave builder form", () => {
  it("accepts the pilot preset with defaults, start in Paris time", () => {
    const r = validateWaveForm({ ...defaultFormValues(today, true), name: "Pilote" }, { requireName: true });
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
      { requireName: true },
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
