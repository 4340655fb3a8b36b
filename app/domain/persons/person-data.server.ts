import { sql } from "kysely";
import type { DB } from "../../../db/connection";
import { inTransaction } from "../../../db/transaction";
import {
  type PersonDataDocument,
  type PersonDataSection,
  renderPersonDataPdf,
} from "../../../reports/person-data-pdf";
import { type AuditActor, writeAudit } from "../audit/audit.server";
import { auditActionLabel, auditDetailFields, auditObjectLabel } from "../audit/labels";
import { CASE_STATE_LABELS, CASE_TYPE_LABELS, RESET_CHANNEL_LABELS } from "../helpline/case";
import { formatDateTime, formatFrenchDateTime } from "../lifecycle/paris-time";
import { STATE_LABELS } from "../lifecycle/transitions";
import { CHANNEL_LABELS } from "../waves/wave";
import { formatNir } from "./nir";
import { eventDetail, eventTitle, getPerson, SOURCE_LABELS } from "./persons.server";

/**
 * The right of access (RGPD art. 15, ADR 033): everything mes-ops holds about one person, as one plain
 * object whose sections are tables already worded in French — the PDF renderer prints it, the JSON export
 * is it. What it never holds: a provisional code or its hash, a password, a TOTP secret, an SMS or e-mail
 * body; of a provisional code only its dates. The NIR is in clear: the document goes to the person.
 */
export type PersonExportFormat = "pdf" | "json";

export const PERSON_DATA_TITLE = "Données personnelles détenues par mes-ops";
export const PERSON_DATA_LEGAL_BASIS = "Document établi au titre de l'article 15 du RGPD";

const EXCLUSIONS =
  "Ce document ne contient ni code provisoire ni son empreinte, ni mot de passe, ni secret d'authentification : " +
  "d'un code provisoire, seules ses dates sont conservées ici.";

const dash = (v: string | number | null | undefined) =>
  v === null || v === undefined || v === "" ? "—" : String(v);
const at = (d: Date | string | null | undefined) => (d ? formatDateTime(new Date(d)) : "—");
const frDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

const MEMBER_STATUS_LABELS: Record<string, string> = {
  planned: "prévu",
  excluded: "exclu",
  rendered: "courrier préparé",
  handed_off: "remis à l'imprimeur",
  sent: "envoyé",
  failed: "en échec",
  cancelled: "annulé",
};
const EMAIL_EVENT_LABELS: Record<string, string> = {
  delivered: "remis",
  hard_bounce: "rejet définitif",
  soft_bounce: "rejet temporaire",
  blocked: "bloqué",
  complaint: "signalé comme indésirable",
};
const PORTAL_STATUS_LABELS: Record<string, string> = {
  applied: "pris en compte",
  refused: "refusé",
  unknown_nir: "NIR inconnu",
  invalid: "invalide",
};
const HISTORY_KIND_LABELS: Record<string, string> = {
  created: "ouverture",
  state: "changement d'état",
  type: "changement de motif",
  queue: "changement de file",
  assignment: "affectation",
  person: "rattachement à l'assuré",
  identity: "vérification d'identité",
  action: "action sur l'espace",
  note: "note",
  sla: "délai cible",
};
const RESET_ORIGIN_LABELS: Record<string, string> = { helpline: "34 22", portal: "portail" };

function section(
  key: string,
  title: string,
  columns: string[],
  rows: string[][],
  empty: string,
  note: string | null = null,
): PersonDataSection {
  return { key, title, note, columns, rows, empty };
}

/**
 * Every fact held about the person, section by section, oldest first; null for an unknown person. Reads
 * only: the export's own audit entry is written by `exportPersonData`.
 */
export async function collectPersonData(
  db: DB,
  personId: number,
  now: Date = new Date(),
): Promise<Omit<PersonDataDocument, "generatedBy"> | null> {
  const person = await getPerson(db, personId);
  if (!person) return null;

  const identity = section(
    "identity",
    "Identité et coordonnées actuelles",
    ["Donnée", "Valeur"],
    [
      ["NIR", formatNir(person.nir)],
      ["Nom", person.lastName],
      ["Prénom", person.firstName],
      ["Date de naissance", frDate(person.birthDate)],
      ["Département", person.department],
      ["Adresse", dash(person.addressLine)],
      ["Code postal et ville", dash([person.postalCode, person.city].filter(Boolean).join(" "))],
      ["Courriel", dash(person.email)],
      ["Courriel en échec depuis le", at(person.emailBouncedAt)],
      ["Téléphone", dash(person.phone)],
      ["État de l'espace santé", STATE_LABELS[person.state]],
      ["État depuis le", at(person.stateChangedAt)],
      ["Notifié le", at(person.notifiedAt)],
      ["Fin du délai d'opposition", at(person.windowEndsAt)],
      ["Enregistré le", at(person.createdAt)],
      ["Dernière mise à jour", at(person.updatedAt)],
      [
        "Ouvrant droit",
        person.holder
          ? `${person.holder.firstName} ${person.holder.lastName} (NIR ${formatNir(person.holder.nir)})`
          : "—",
      ],
      [
        "Ayants droit",
        person.dependants.length
          ? person.dependants
              .map((d) => `${d.firstName} ${d.lastName}, né(e) le ${frDate(d.birthDate)}`)
              .join(" ; ")
          : "—",
      ],
    ],
    "",
  );

  const history = await db
    .selectFrom("person_contact_history")
    .selectAll()
    .where("person_id", "=", personId)
    .orderBy("replaced_at")
    .orderBy("id")
    .execute();
  const contacts = section(
    "contact_history",
    "Coordonnées précédentes",
    ["Remplacées le", "Adresse", "Courriel", "Téléphone", "Département", "Par le fichier"],
    history.map((h) => [
      at(h.replaced_at),
      dash([h.address_line, [h.postal_code, h.city].filter(Boolean).join(" ")].filter(Boolean).join(", ")),
      dash(h.email),
      dash(h.phone),
      dash(h.department),
      h.roll_id ? `n° ${h.roll_id}` : "—",
    ]),
    "Aucune modification des coordonnées depuis l'enregistrement.",
  );

  // The rolls the person came from: the one that inserted or last changed it (person_roll or a bulk
  // load's block of ids) and each one that replaced its contact data. Names only: never the file's lines.
  const rollRows = await db
    .selectFrom("roll")
    .select(["id", "file_name", "created_at", "file_purged_at"])
    .where((eb) =>
      eb.or([
        eb("id", "in", eb.selectFrom("person_roll").select("roll_id").where("person_id", "=", personId)),
        eb.and([eb("first_person_id", "<=", personId), eb("last_person_id", ">=", personId)]),
        eb(
          "id",
          "in",
          eb
            .selectFrom("person_contact_history")
            .select(sql<number>`roll_id`.as("roll_id"))
            .where("person_id", "=", personId)
            .where("roll_id", "is not", null),
        ),
      ]),
    )
    .orderBy("created_at")
    .execute();
  const rolls = section(
    "rolls",
    "Fichiers d'assurés où figure la personne",
    ["Fichier", "Nom du fichier", "Reçu le", "Fichier effacé le"],
    rollRows.map((r) => [`n° ${r.id}`, r.file_name, at(r.created_at), at(r.file_purged_at)]),
    "Aucun fichier d'assurés connu.",
    "Seuls le nom et la date des fichiers figurent ici ; leur contenu porte sur d'autres personnes.",
  );

  const members = await db
    .selectFrom("wave_member as m")
    .leftJoin("wave as w", "w.id", "m.wave_id")
    .select([
      "m.id",
      "m.wave_id",
      "w.name as wave_name",
      "m.channel",
      "m.status",
      "m.excluded_reason",
      "m.created_at",
      "m.notified_at",
      "m.handed_off_at",
      "m.email_sent_at",
      "m.delivered_at",
      "m.bounced_at",
      "m.fell_back_at",
    ])
    .where("m.person_id", "=", personId)
    .orderBy("m.created_at")
    .orderBy("m.id")
    .execute();
  const notifications = section(
    "notifications",
    "Notifications (courriers et e-mails)",
    [
      "Vague",
      "Canal",
      "État",
      "Prévue le",
      "Envoyée le",
      "Remise le",
      "En échec le",
      "Basculée en courrier le",
    ],
    members.map((m) => [
      m.wave_id ? `n° ${m.wave_id} — ${m.wave_name ?? ""}` : "envoi individuel",
      CHANNEL_LABELS[m.channel],
      `${MEMBER_STATUS_LABELS[m.status] ?? m.status}${m.excluded_reason ? ` (${m.excluded_reason})` : ""}`,
      at(m.created_at),
      at(m.email_sent_at ?? m.handed_off_at ?? m.notified_at),
      at(m.delivered_at),
      at(m.bounced_at),
      at(m.fell_back_at),
    ]),
    "Aucune notification.",
  );

  const memberIds = members.map((m) => m.id);
  const emailEvents = memberIds.length
    ? await db
        .selectFrom("email_event")
        .select(["provider", "kind", "occurred_at", "received_at", "recipient_domain", "member_id"])
        .where("member_id", "in", memberIds)
        .orderBy("occurred_at")
        .execute()
    : [];
  const waveOfMember = new Map(members.map((m) => [m.id, m.wave_id]));
  const emails = section(
    "email_events",
    "Retours des fournisseurs d'e-mail",
    ["Survenu le", "Reçu le", "Fournisseur", "Événement", "Domaine du destinataire", "Vague"],
    emailEvents.map((e) => {
      const wave = e.member_id ? waveOfMember.get(e.member_id) : null;
      return [
        at(e.occurred_at),
        at(e.received_at),
        e.provider,
        EMAIL_EVENT_LABELS[e.kind] ?? e.kind,
        dash(e.recipient_domain),
        wave ? `n° ${wave}` : "—",
      ];
    }),
    "Aucun retour de fournisseur d'e-mail.",
  );

  // Only the dates of a code: never `code_hash` (not even selected).
  const codeRows = await db
    .selectFrom("provisional_code")
    .select(["created_at", "wave_id", "expires_at", "used_at", "revoked_at", "revoked_reason"])
    .where("person_id", "=", personId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  const codes = section(
    "codes",
    "Codes provisoires (dates seulement)",
    ["Émis le", "Vague", "Expire le", "Utilisé le", "Révoqué le", "Motif de révocation"],
    codeRows.map((c) => [
      at(c.created_at),
      c.wave_id ? `n° ${c.wave_id}` : "—",
      at(c.expires_at),
      at(c.used_at),
      at(c.revoked_at),
      dash(c.revoked_reason),
    ]),
    "Aucun code provisoire émis.",
    "Un code provisoire n'est jamais conservé en clair ; son empreinte n'est pas communiquée.",
  );

  const resetRows = await db
    .selectFrom("helpline_code_reset")
    .select(["at", "origin", "channel", "case_id", "delivered_at", "failure"])
    .where("person_id", "=", personId)
    .orderBy("at")
    .orderBy("id")
    .execute();
  const resets = section(
    "code_resets",
    "Demandes de nouveau code provisoire",
    ["Demandé le", "Origine", "Canal", "Dossier 34 22", "Remis le", "Échec"],
    resetRows.map((r) => [
      at(r.at),
      RESET_ORIGIN_LABELS[r.origin] ?? r.origin,
      RESET_CHANNEL_LABELS[r.channel],
      r.case_id ? `n° ${r.case_id}` : "—",
      at(r.delivered_at),
      dash(r.failure),
    ]),
    "Aucune demande de nouveau code.",
  );

  const events = await db
    .selectFrom("person_event as e")
    .leftJoin("app_user as u", "u.id", "e.actor_user_id")
    .select([
      "e.type",
      "e.at",
      "e.recorded_at",
      "e.source",
      "e.from_state",
      "e.to_state",
      "e.wave_id",
      "e.details",
    ])
    .select("u.display_name")
    .where("e.person_id", "=", personId)
    .orderBy("e.at")
    .orderBy("e.id")
    .execute();
  const stateLabel = (s: string | null) => (s ? ((STATE_LABELS as Record<string, string>)[s] ?? s) : "—");
  const lifecycle = section(
    "lifecycle",
    "Historique de l'espace santé",
    ["Date", "Événement", "Source", "État avant", "État après", "Par", "Précisions"],
    events.map((e) => {
      const d = (e.details && typeof e.details === "object" ? e.details : {}) as Record<string, unknown>;
      const detail = [
        eventDetail(e.type, e.details),
        e.wave_id ? `vague n° ${e.wave_id}` : null,
        // An opposition received on paper names its file (names only, never its other lines).
        typeof d.file === "string" ? `fichier ${d.file}` : null,
      ]
        .filter(Boolean)
        .join(", ");
      return [
        at(e.at),
        eventTitle(e.type, e.to_state),
        SOURCE_LABELS[e.source] ?? e.source,
        stateLabel(e.from_state),
        stateLabel(e.to_state),
        dash(e.display_name),
        dash(detail),
      ];
    }),
    "Aucun événement.",
  );

  const portalRows = await db
    .selectFrom("portal_event")
    .select(["received_at", "type", "at", "status", "reason"])
    .where("person_id", "=", personId)
    .orderBy("received_at")
    .execute();
  const portal = section(
    "portal_events",
    "Messages reçus du portail Mon espace santé",
    ["Reçu le", "Type", "Survenu le", "Résultat", "Motif"],
    portalRows.map((p) => [
      at(p.received_at),
      p.type,
      at(p.at),
      PORTAL_STATUS_LABELS[p.status] ?? p.status,
      dash(p.reason),
    ]),
    "Aucun message du portail.",
  );

  const caseRows = await db
    .selectFrom("helpline_case as c")
    .leftJoin("app_user as u", "u.id", "c.assigned_user_id")
    .select([
      "c.id",
      "c.type",
      "c.state",
      "c.origin",
      "c.subject",
      "c.created_at",
      "c.resolved_at",
      "c.caller_number",
    ])
    .select("u.display_name")
    .where("c.person_id", "=", personId)
    .orderBy("c.created_at")
    .orderBy("c.id")
    .execute();
  const cases = section(
    "helpline_cases",
    "Dossiers du 34 22",
    [
      "Dossier",
      "Motif",
      "État",
      "Ouvert le",
      "Origine",
      "Numéro appelant",
      "Objet",
      "Conseiller",
      "Résolu le",
    ],
    caseRows.map((c) => [
      `n° ${c.id}`,
      CASE_TYPE_LABELS[c.type],
      CASE_STATE_LABELS[c.state],
      at(c.created_at),
      c.origin === "telephony" ? "appel" : "conseiller",
      dash(c.caller_number),
      dash(c.subject),
      dash(c.display_name),
      at(c.resolved_at),
    ]),
    "Aucun dossier au 34 22.",
  );

  const caseIds = caseRows.map((c) => c.id);
  const historyRows = caseIds.length
    ? await db
        .selectFrom("helpline_case_history as h")
        .leftJoin("app_user as u", "u.id", "h.actor_user_id")
        .select(["h.case_id", "h.at", "h.kind", "h.from_value", "h.to_value", "h.details"])
        .select("u.display_name")
        .where("h.case_id", "in", caseIds)
        .orderBy("h.at")
        .orderBy("h.id")
        .execute()
    : [];
  const valueLabel = (kind: string, v: string | null) => {
    if (v === null) return "—";
    if (kind === "state") return (CASE_STATE_LABELS as Record<string, string>)[v] ?? v;
    if (kind === "type") return (CASE_TYPE_LABELS as Record<string, string>)[v] ?? v;
    return v;
  };
  const caseHistory = section(
    "helpline_notes",
    "Notes et suivi des dossiers du 34 22",
    ["Dossier", "Date", "Étape", "Par", "Avant", "Après", "Note"],
    historyRows.map((h) => {
      const d = (h.details && typeof h.details === "object" ? h.details : {}) as Record<string, unknown>;
      // A note's text is erased at the end of its retention period (ADR 029): say so, not « — ».
      const note =
        h.kind === "note"
          ? typeof d.text === "string"
            ? d.text
            : "texte effacé (fin de conservation)"
          : "—";
      return [
        `n° ${h.case_id}`,
        at(h.at),
        HISTORY_KIND_LABELS[h.kind] ?? h.kind,
        dash(h.display_name),
        valueLabel(h.kind, h.from_value),
        valueLabel(h.kind, h.to_value),
        note,
      ];
    }),
    "Aucune note ni étape de dossier.",
  );

  // Who looked at or acted on the person, and on its helpline cases (the export's own entries included).
  const auditRows = await db
    .selectFrom("audit_log")
    .select(["at", "actor_label", "action", "object_type", "object_id", "details"])
    .where((eb) =>
      eb.or([
        eb.and([eb("object_type", "=", "person"), eb("object_id", "=", String(personId))]),
        ...(caseIds.length
          ? [eb.and([eb("object_type", "=", "helpline_case"), eb("object_id", "in", caseIds.map(String))])]
          : []),
      ]),
    )
    .orderBy("at")
    .orderBy("id")
    .execute();
  const audit = section(
    "audit",
    "Consultations et actions enregistrées au journal d'audit",
    ["Date", "Par", "Action", "Objet", "Détails"],
    auditRows.map((a) => [
      at(a.at),
      a.actor_label,
      auditActionLabel(a.action),
      `${auditObjectLabel(a.object_type)}${a.object_id ? ` n° ${a.object_id}` : ""}`,
      dash(
        auditDetailFields(
          (a.details && typeof a.details === "object" ? a.details : {}) as Record<string, unknown>,
        )
          .map((f) => `${f.label} : ${f.value}`)
          .join(" ; "),
      ),
    ]),
    "Aucune entrée.",
  );

  return {
    title: PERSON_DATA_TITLE,
    legalBasis: PERSON_DATA_LEGAL_BASIS,
    generatedAt: now.toISOString(),
    generatedAtLabel: formatFrenchDateTime(now),
    person: { id: person.id, label: `${person.firstName} ${person.lastName} (NIR ${formatNir(person.nir)})` },
    exclusions: EXCLUSIONS,
    sections: [
      identity,
      contacts,
      rolls,
      notifications,
      emails,
      codes,
      resets,
      lifecycle,
      portal,
      cases,
      caseHistory,
      audit,
    ],
  };
}

/** An export as the route sends it. */
export interface PersonExportFile {
  body: Uint8Array<ArrayBuffer> | string;
  contentType: string;
  fileName: string;
}

/**
 * An export asked for by a staff member: the audit entry (who, which person, which format) and the read
 * in one transaction, so that no document leaves without its trace — and the document lists its own entry.
 * Rendered after the commit (the PDF takes the CPU, not a connection). Null for an unknown person: nothing
 * is audited, there is nobody to disclose.
 */
export async function exportPersonData(
  db: DB,
  actor: AuditActor,
  params: { personId: number; format: PersonExportFormat; now?: Date },
): Promise<PersonExportFile | null> {
  const now = params.now ?? new Date();
  const data = await inTransaction(db, async (trx) => {
    const exists = await trx
      .selectFrom("person")
      .select("id")
      .where("id", "=", params.personId)
      .executeTakeFirst();
    if (!exists) return null;
    await writeAudit(trx, actor, {
      action: "person.data_exported",
      objectType: "person",
      objectId: params.personId,
      details: { format: params.format },
    });
    return collectPersonData(trx, params.personId, now);
  });
  if (!data) return null;
  const document: PersonDataDocument = { ...data, generatedBy: actor.label };
  const fileName = `donnees-assure-${params.personId}-${now.toISOString().slice(0, 10)}.${params.format}`;
  if (params.format === "json")
    return {
      body: JSON.stringify(document, null, 2),
      contentType: "application/json; charset=utf-8",
      fileName,
    };
  const { pdf } = await renderPersonDataPdf(document);
  return { body: new Uint8Array(pdf), contentType: "application/pdf", fileName };
}
