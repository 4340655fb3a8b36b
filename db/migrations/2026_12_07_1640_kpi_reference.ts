import { type Kysely, sql } from "kysely";

// Frozen in time: this file never imports application code.

/**
 * The published roadmap figures (issue 18, item 7) as a reference series with their provenance, plus the
 * indicators the public monthly dashboard publishes and mes-ops did not follow yet (activated spaces as a
 * stock, the opposition rate, connections per month by channel). A published figure covers a span of months
 * (a year, twelve months, a month's end) or none at all (a yearly target per sector), which the monthly
 * observations cannot hold without being summed into the months: hence their own table (ADR 030).
 */

const INDICATORS: Array<[string, string, string, string, string | null, object[], string, number]> = [
  [
    "spaces_activated",
    "Espaces Mon espace santé activés (cumul)",
    "count",
    "last",
    null,
    [],
    "Stock publié par l'Assurance Maladie, le ministère et l'Agence du numérique en santé (fichier ou API).",
    110,
  ],
  [
    "opposition_rate",
    "Taux d'opposition après notification",
    "percent",
    "last",
    null,
    [],
    "Part des assurés notifiés qui se sont opposés, publiée par l'Assurance Maladie (fichier ou API).",
    120,
  ],
  [
    "connections",
    "Connexions à Mon espace santé",
    "count",
    "sum",
    "Canal",
    [
      { code: "web", label: "Site web" },
      { code: "app", label: "Application mobile" },
    ],
    "Connexions par mois et par canal, transmises par l'Assurance Maladie (fichier ou API).",
    130,
  ],
];

interface Reference {
  indicator: string;
  nature: "figure" | "goal";
  from: string | null;
  to: string | null;
  breakdown?: string;
  value: number;
  periodLabel: string;
  publisher: string;
  title: string;
  url: string | null;
  publishedOn: string | null;
  note?: string;
}

const EGORA = {
  publisher:
    "Caisse nationale de l'Assurance Maladie (conférence de presse des 4 ans, 29 janvier 2026), rapporté par egora",
  title: "24 millions de profils activés en 4 ans sur Mon espace santé : la Cnam fait le bilan",
  url: "https://www.egora.fr/actus-pro/sante-numerique/24-millions-de-profils-actives-en-4-ans-la-cnam-fait-le-bilan-de-mon",
  publishedOn: "2026-01-30",
};
const ANS_TRANSPARENCE = {
  publisher: "Agence du numérique en santé (communiqué des 3 ans de Mon espace santé)",
  title: "Les chiffres clés du déploiement du Ségur du numérique en santé",
  url: "https://esante.gouv.fr/segur/transparence",
  publishedOn: "2025-01",
};
const SEGUR_SECTORS = {
  publisher: "Ségur du numérique en santé — cibles annuelles d'alimentation par secteur producteur",
  title: "Cibles reprises de l'issue 18 de mes-ops (document d'origine non relevé)",
  url: null,
  publishedOn: null,
};

const REFERENCES: Reference[] = [
  {
    indicator: "documents_deposited",
    nature: "figure",
    from: "2023-01",
    to: "2023-12",
    value: 239_000_000,
    periodLabel: "année 2023",
    publisher: "Agence du numérique en santé (bilan mensuel), rapporté par KPS – Klesia Prosocial",
    title: "Les Français s'emparent de Mon Espace Santé",
    url: "https://www.klesiaprosocial.fr/you-go/i/78210351/les-francais-s-emparent-de-mon-espace-sante",
    publishedOn: "2024-02-06",
  },
  {
    indicator: "documents_deposited",
    nature: "figure",
    from: "2024-01",
    to: "2024-12",
    value: 300_000_000,
    periodLabel: "année 2024",
    ...ANS_TRANSPARENCE,
  },
  {
    indicator: "documents_deposited",
    nature: "figure",
    from: "2025-02",
    to: "2026-01",
    value: 420_000_000,
    periodLabel: "12 mois à janvier 2026",
    ...EGORA,
    note: "La source dit « 420 millions de documents déposés en 2025 », annoncés fin janvier 2026.",
  },
  {
    indicator: "spaces_activated",
    nature: "figure",
    from: "2022-10",
    to: "2022-10",
    value: 7_200_000,
    periodLabel: "fin octobre 2022",
    publisher:
      "Assurance Maladie et ministère de la Santé et de la Prévention (communiqué), rapporté par EDP Biologie",
    title: "Mon espace santé : un premier bilan",
    url: "http://www.edp-biologie.fr/actualites/4578-mon-espace-sante-un-premier-bilan",
    publishedOn: "2022-11",
  },
  {
    indicator: "spaces_activated",
    nature: "figure",
    from: "2023-02",
    to: "2023-02",
    value: 7_900_000,
    periodLabel: "février 2023",
    publisher: "Agence du numérique en santé, rapporté par L'Usine Digitale",
    title: "Seules 7,9 millions de personnes ont activé leur compte Mon espace santé, d'après l'ANS",
    url: "https://www.usine-digitale.fr/article/seules-7-9-millions-de-personnes-ont-active-leur-compte-mon-espace-sante-d-apres-l-ans.N2103346",
    publishedOn: "2023-02",
  },
  {
    indicator: "spaces_activated",
    nature: "figure",
    from: "2023-09",
    to: "2023-09",
    value: 9_200_000,
    periodLabel: "septembre 2023",
    publisher: "Chiffre repris de l'issue 18 de mes-ops",
    title: "Document d'origine non relevé",
    url: null,
    publishedOn: null,
  },
  {
    indicator: "spaces_activated",
    nature: "figure",
    from: "2024-12",
    to: "2024-12",
    value: 17_000_000,
    periodLabel: "fin 2024",
    ...ANS_TRANSPARENCE,
    note: "« En trois ans, plus de 17 millions l'ont déjà utilisé. »",
  },
  {
    indicator: "spaces_activated",
    nature: "figure",
    from: "2025-10",
    to: "2025-10",
    value: 23_000_000,
    periodLabel: "octobre 2025",
    publisher: "Agence du numérique en santé (comité de suivi du Ségur), rapporté par Hospitalia",
    title: "COSUI Ségur numérique : des usages numériques en santé qui montent en puissance",
    url: "https://www.hospitalia.fr/COSUI-Segur-numerique-des-usages-numeriques-en-sante-qui-montent-en-puissance_a4783.html",
    publishedOn: "2025-11-04",
  },
  {
    indicator: "spaces_activated",
    nature: "figure",
    from: "2026-01",
    to: "2026-01",
    value: 24_000_000,
    periodLabel: "janvier 2026",
    ...EGORA,
  },
  {
    indicator: "spaces_activated",
    nature: "goal",
    from: "2027-12",
    to: "2027-12",
    value: 40_000_000,
    periodLabel: "fin 2027",
    ...EGORA,
  },
  {
    indicator: "opposition_rate",
    nature: "figure",
    from: "2022-01",
    to: "2022-05",
    value: 1.48,
    periodLabel: "notifications de février–mars 2022 (bilan au 31 mai 2022)",
    publisher:
      "Caisse nationale de l'Assurance Maladie (bilan présenté à son conseil le 9 juin 2022), rapporté par AEF info",
    title:
      "Depuis le 9 mai 2022, 11 millions de « Mon espace santé » ont été créés, le taux de refus est de moins de 2 % (bilan Cnam)",
    url: "https://www.aefinfo.fr/depeche/686417-l-interet-des-francais-pour-les-outils-numeriques-de-sante-en-forte-augmentation-barometre-deloitte",
    publishedOn: "2022-06",
  },
  ...(
    [
      ["medecins_ville", 120_000_000, "médecine de ville"],
      ["radiologie", 35_000_000, "radiologie"],
      ["laboratoires", 75_000_000, "biologie"],
      ["hopitaux", 20_000_000, "hôpitaux"],
    ] as const
  ).map(
    ([breakdown, value, sector]): Reference => ({
      indicator: "documents_deposited",
      nature: "goal",
      from: null,
      to: null,
      breakdown,
      value,
      periodLabel: `par an (${sector})`,
      ...SEGUR_SECTORS,
    }),
  ),
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- A published figure or goal with its provenance. A figure covers the months period_from..period_to
    -- (one month for a stock at a month's end); a yearly goal per sector has no period.
    CREATE TABLE kpi_reference (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      indicator_code text NOT NULL REFERENCES kpi_indicator(code),
      nature text NOT NULL CHECK (nature IN ('figure', 'goal')),
      kind text NOT NULL DEFAULT 'published' CHECK (kind IN ('published', 'demo')),
      period_from date CHECK (extract(day FROM period_from) = 1),
      period_to date CHECK (extract(day FROM period_to) = 1),
      period_label text NOT NULL,
      breakdown text NOT NULL DEFAULT '',
      value numeric NOT NULL CHECK (value >= 0),
      publisher text NOT NULL,
      title text NOT NULL,
      url text,
      published_on text CHECK (published_on ~ '^\\d{4}-\\d{2}(-\\d{2})?$'),
      note text NOT NULL DEFAULT '',
      CHECK ((period_from IS NULL) = (period_to IS NULL) AND period_from <= period_to)
    );
    CREATE UNIQUE INDEX kpi_reference_key
      ON kpi_reference (indicator_code, nature, coalesce(period_from, '1900-01-01'), coalesce(period_to, '1900-01-01'), breakdown);
  `.execute(db);
  for (const [code, label, unit, aggregation, breakdownLabel, breakdowns, note, order] of INDICATORS) {
    await sql`
      INSERT INTO kpi_indicator (code, label, unit, aggregation, breakdown_label, breakdowns, by_department,
        computed, source_note, sort_order)
      VALUES (${code}, ${label}, ${unit}, ${aggregation}, ${breakdownLabel}, ${JSON.stringify(breakdowns)}::jsonb,
        false, false, ${note}, ${order})
    `.execute(db);
  }
  for (const r of REFERENCES) {
    await sql`
      INSERT INTO kpi_reference (indicator_code, nature, period_from, period_to, period_label, breakdown, value,
        publisher, title, url, published_on, note)
      VALUES (${r.indicator}, ${r.nature}, ${r.from ? `${r.from}-01` : null}::date, ${r.to ? `${r.to}-01` : null}::date,
        ${r.periodLabel}, ${r.breakdown ?? ""}, ${r.value}, ${r.publisher}, ${r.title}, ${r.url}, ${r.publishedOn},
        ${r.note ?? ""})
    `.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE kpi_reference;
    DELETE FROM kpi_observation_revision WHERE indicator_code IN ('spaces_activated', 'opposition_rate', 'connections');
    DELETE FROM kpi_observation WHERE indicator_code IN ('spaces_activated', 'opposition_rate', 'connections');
    DELETE FROM kpi_indicator WHERE code IN ('spaces_activated', 'opposition_rate', 'connections');
  `.execute(db);
}
