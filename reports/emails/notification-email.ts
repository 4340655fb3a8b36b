import { frenchLongDate } from "../french-date";

/**
 * The notification email: the same content as the letter, as HTML and plain text. Data in, strings out.
 */
export interface NotificationEmailData {
  firstName: string;
  lastName: string;
  /** The clear provisional code: only in the memory of the job that sends the message. */
  code: string;
  windowEnd: Date;
  codeExpiresAt: Date;
  portalUrl?: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderNotificationEmail(data: NotificationEmailData): RenderedEmail {
  const url = data.portalUrl ?? "https://www.monespacesante.fr";
  const until = frenchLongDate(data.windowEnd, { weekday: true });
  const expires = frenchLongDate(data.codeExpiresAt);
  const name = `${data.firstName} ${data.lastName}`;
  const paragraphs = [
    "L'Assurance Maladie et le ministère chargé de la Santé vous proposent Mon espace santé, un service public, gratuit et sécurisé, pour stocker et partager vos documents et données de santé : ordonnances, résultats d'examens, comptes rendus d'hospitalisation, vaccinations.",
    `Pour activer votre espace, rendez-vous sur monespacesante.fr, munissez-vous de votre carte Vitale et saisissez votre code provisoire personnel (valable jusqu'au ${expires}) :`,
  ];
  const after = [
    `Vous ne souhaitez pas de Mon espace santé ? Vous pouvez vous y opposer jusqu'au ${until} inclus, en ligne sur monespacesante.fr avec ce même code, ou en appelant le 34 22 (service gratuit + prix d'un appel).`,
    `Sans démarche de votre part, votre espace sera créé automatiquement après le ${until}. Vous pourrez ensuite, à tout moment, le fermer ou vous y opposer.`,
    "Ce code est personnel et confidentiel. L'Assurance Maladie ne vous le demandera jamais par téléphone, par SMS ou par e-mail.",
  ];
  const text = [
    `Bonjour ${name},`,
    "",
    ...paragraphs.flatMap((p) => [p, ""]),
    `    ${data.code}`,
    "",
    `Activer mon espace : ${url}`,
    "",
    ...after.flatMap((p) => [p, ""]),
    "Votre caisse d'Assurance Maladie",
  ].join("\n");
  const p = (s: string) => `<p style="margin:0 0 12px">${escapeHtml(s)}</p>`;
  const html = `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Mon espace santé</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;color:#1a1a1a;max-width:600px;margin:0 auto;padding:16px">
<p style="color:#0c419a;font-weight:bold;font-size:18px;margin:0 0 16px">l'Assurance Maladie</p>
<p style="margin:0 0 12px">Bonjour ${escapeHtml(name)},</p>
${paragraphs.map(p).join("\n")}
<div style="border:2px solid #0c419a;border-radius:4px;padding:12px;text-align:center;margin:16px 0">
<div style="font-size:12px">Votre code provisoire</div>
<div style="font-size:24px;font-weight:bold;letter-spacing:2px;font-family:monospace">${escapeHtml(data.code)}</div>
</div>
<p style="text-align:center;margin:16px 0"><a href="${escapeHtml(url)}" style="background:#0c419a;color:#fff;padding:10px 18px;border-radius:4px;text-decoration:none">Activer mon espace</a></p>
${after.map(p).join("\n")}
<p style="margin:16px 0 0">Votre caisse d'Assurance Maladie</p>
</body></html>`;
  return { subject: "Votre code pour activer Mon espace santé", html, text };
}
