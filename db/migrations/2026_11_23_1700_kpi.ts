import { type Kysely, sql } from "kysely";

// Frozen in time: this file never imports application code.

const SOURCES = [
  { code: "hopitaux", label: "Hôpitaux" },
  { code: "medecins_ville", label: "Médecins de ville" },
  { code: "laboratoires", label: "Laboratoires" },
  { code: "radiologie", label: "Radiologie" },
  { code: "pharmacies", label: "Pharmacies" },
];
const SOFTWARE = [
  { code: "dpi", label: "Dossier patient informatisé (hôpital)" },
  { code: "lgc", label: "Logiciel de gestion de cabinet" },
  { code: "sgl", label: "Système de gestion de laboratoire" },
  { code: "ris", label: "Radiologie (RIS)" },
  { code: "lgo", label: "Logiciel de gestion d'officine" },
];

// code, label, unit, aggregation, breakdown label, breakdowns, by department, computed, source note
const INDICATORS: Array<[string, string, string, string, string | null, object[], boolean, boolean, string]> =
  [
    [
      "documents_deposited",
      "Documents déposés par les professionnels",
      "count",
      "sum",
      "Source",
      SOURCES,
      false,
      false,
      "Flux mensuel transmis par l'opérateur du DMP (fichier ou API).",
    ],
    [
      "doctors_daily_pct",
      "Médecins consultant un profil patient au moins une fois par jour",
      "percent",
      "last",
      null,
      [],
      false,
      false,
      "Part des médecins en exercice, calculée par l'Assurance Maladie (fichier ou API).",
    ],
    [
      "vendors_referenced",
      "Éditeurs Ségur référencés",
      "count",
      "last",
      "Catégorie de logiciel",
      SOFTWARE,
      false,
      false,
      "Référencement Ségur publié par l'Agence du numérique en santé (fichier ou API).",
    ],
    [
      "vendors_in_progress",
      "Éditeurs Ségur en cours de référencement",
      "count",
      "last",
      "Catégorie de logiciel",
      SOFTWARE,
      false,
      false,
      "Référencement Ségur publié par l'Agence du numérique en santé (fichier ou API).",
    ],
    [
      "campaign_notified",
      "Assurés notifiés (courrier ou e-mail)",
      "count",
      "sum",
      null,
      [],
      true,
      true,
      "Calculé chaque jour par mes-ops à partir des événements du parcours.",
    ],
    [
      "campaign_activated",
      "Espaces activés",
      "count",
      "sum",
      null,
      [],
      true,
      true,
      "Calculé chaque jour par mes-ops à partir des événements du parcours.",
    ],
    [
      "campaign_opposed",
      "Oppositions enregistrées",
      "count",
      "sum",
      null,
      [],
      true,
      true,
      "Calculé chaque jour par mes-ops à partir des événements du parcours.",
    ],
    [
      "campaign_auto_created",
      "Espaces créés automatiquement",
      "count",
      "sum",
      null,
      [],
      true,
      true,
      "Calculé chaque jour par mes-ops à partir des événements du parcours.",
    ],
    [
      "campaign_closed",
      "Espaces clôturés",
      "count",
      "sum",
      null,
      [],
      true,
      true,
      "Calculé chaque jour par mes-ops à partir des événements du parcours.",
    ],
    [
      "helpline_cases",
      "Dossiers 34 22 ouverts",
      "count",
      "sum",
      null,
      [],
      false,
      true,
      "Calculé chaque jour par mes-ops à partir des dossiers du 34 22.",
    ],
  ];

// Roadmap targets (feuille de route du numérique en santé).
const TARGETS: Array<[string, number, number, string]> = [
  ["documents_deposited", 2023, 250_000_000, "Feuille de route : 250 millions de documents en 2023"],
  ["documents_deposited", 2026, 400_000_000, "Feuille de route : 400 millions de documents en 2026"],
  ["doctors_daily_pct", 2026, 50, "Feuille de route : 50 % des médecins consultent un profil chaque jour"],
  ["vendors_referenced", 2026, 100, "Environ 100 éditeurs Ségur référencés"],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The catalogue: one row per roadmap or campaign indicator, monthly.
    CREATE TABLE kpi_indicator (
      code text PRIMARY KEY,
      label text NOT NULL,
      unit text NOT NULL CHECK (unit IN ('count', 'percent')),
      periodicity text NOT NULL DEFAULT 'month' CHECK (periodicity = 'month'),
      -- 'sum': a flow, the year is the sum of its months; 'last': a stock or a rate, the year is its last month.
      aggregation text NOT NULL CHECK (aggregation IN ('sum', 'last')),
      breakdown_label text,
      -- [{"code": "hopitaux", "label": "Hôpitaux"}, …]: the values a figure may be broken down by.
      breakdowns jsonb NOT NULL DEFAULT '[]'::jsonb,
      by_department boolean NOT NULL DEFAULT false,
      computed boolean NOT NULL DEFAULT false,
      source_note text NOT NULL DEFAULT '',
      sort_order integer NOT NULL DEFAULT 0
    );

    -- Targets per indicator and year; an edit supersedes the previous row (history kept).
    CREATE TABLE kpi_target (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      indicator_code text NOT NULL REFERENCES kpi_indicator(code),
      year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
      value numeric NOT NULL CHECK (value >= 0),
      note text NOT NULL DEFAULT '',
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by bigint,
      superseded_at timestamptz
    );
    CREATE UNIQUE INDEX kpi_target_current ON kpi_target (indicator_code, year) WHERE superseded_at IS NULL;

    -- One batch of figures received (file upload, CLI, API call, campaign job, demo seed).
    CREATE TABLE kpi_import (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      source text NOT NULL CHECK (source IN ('upload', 'cli', 'api', 'campaign', 'demo')),
      file_name text,
      received_at timestamptz NOT NULL DEFAULT now(),
      user_id bigint,
      rows integer NOT NULL DEFAULT 0,
      created integer NOT NULL DEFAULT 0,
      revised integer NOT NULL DEFAULT 0,
      unchanged integer NOT NULL DEFAULT 0
    );

    -- The current value: one row per indicator, month, breakdown value and department ('' = all).
    CREATE TABLE kpi_observation (
      indicator_code text NOT NULL REFERENCES kpi_indicator(code),
      period date NOT NULL CHECK (extract(day FROM period) = 1),
      breakdown text NOT NULL DEFAULT '',
      department text NOT NULL DEFAULT '',
      value numeric NOT NULL CHECK (value >= 0),
      revision integer NOT NULL DEFAULT 1,
      source text NOT NULL,
      import_id bigint REFERENCES kpi_import(id),
      recorded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (indicator_code, period, breakdown, department)
    );
    CREATE INDEX kpi_observation_department ON kpi_observation (indicator_code, department, period)
      WHERE department <> '';

    -- Every revision ever received (append-only); the current one is also in kpi_observation.
    CREATE TABLE kpi_observation_revision (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      indicator_code text NOT NULL,
      period date NOT NULL,
      breakdown text NOT NULL,
      department text NOT NULL,
      value numeric NOT NULL,
      previous_value numeric,
      revision integer NOT NULL,
      source text NOT NULL,
      import_id bigint,
      recorded_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX kpi_observation_revision_key
      ON kpi_observation_revision (indicator_code, period, breakdown, department, revision);

    -- Signatures already accepted by POST /api/kpi/observations (replay protection, pruned after 10 min).
    CREATE TABLE kpi_api_signature (
      signature text PRIMARY KEY,
      received_at timestamptz NOT NULL DEFAULT now()
    );

    -- The archive of monthly PDF reports (files under REPORTS_DIR/kpi/).
    CREATE TABLE kpi_report (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      period date NOT NULL,
      trigger text NOT NULL CHECK (trigger IN ('cron', 'manual')),
      file_name text NOT NULL,
      size_bytes integer NOT NULL,
      pages integer NOT NULL,
      generated_at timestamptz NOT NULL DEFAULT now(),
      requested_by bigint
    );
    CREATE UNIQUE INDEX kpi_report_cron_period ON kpi_report (period) WHERE trigger = 'cron';
    CREATE INDEX kpi_report_generated ON kpi_report (generated_at DESC);
  `.execute(db);

  let order = 0;
  for (const [
    code,
    label,
    unit,
    aggregation,
    breakdownLabel,
    breakdowns,
    byDepartment,
    computed,
    note,
  ] of INDICATORS) {
    order += 10;
    await sql`
      INSERT INTO kpi_indicator (code, label, unit, aggregation, breakdown_label, breakdowns, by_department,
        computed, source_note, sort_order)
      VALUES (${code}, ${label}, ${unit}, ${aggregation}, ${breakdownLabel}, ${JSON.stringify(breakdowns)}::jsonb,
        ${byDepartment}, ${computed}, ${note}, ${order})
    `.execute(db);
  }
  for (const [code, year, value, note] of TARGETS) {
    await sql`INSERT INTO kpi_target (indicator_code, year, value, note) VALUES (${code}, ${year}, ${value}, ${note})`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE kpi_report, kpi_api_signature, kpi_observation_revision, kpi_observation, kpi_import,
      kpi_target, kpi_indicator;
  `.execute(db);
}
