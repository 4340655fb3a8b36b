import { type UploadHandler, unstable_parseMultipartFormData } from "@remix-run/node";

/** An upload refused while it streams in (too large, too many parts): the message is French, for the page. */
export class UploadRefused extends Error {}

/**
 * The multipart handler of the small uploads (paper opposition lists, KPI files): one file part, in memory,
 * at most `maxFileBytes`; a few short text fields; nothing else. Remix's memory handler caps each part but
 * not their number, so 60 parts of 5 MB each were held in the web process (+270 MB). Here a second file,
 * an unknown file field, a long text field or too many parts stop the parsing at once.
 */
export function boundedMemoryUpload(options: {
  maxFileBytes: number;
  fileField?: string;
  maxTextBytes?: number;
  maxParts?: number;
}): UploadHandler {
  const fileField = options.fileField ?? "file";
  const maxText = options.maxTextBytes ?? 4096;
  const maxParts = options.maxParts ?? 8;
  let parts = 0;
  let files = 0;
  return async ({ name, filename, contentType, data }) => {
    if (++parts > maxParts) throw new UploadRefused(`formulaire refusé : plus de ${maxParts} champs`);
    if (filename !== undefined) {
      if (name !== fileField || ++files > 1)
        throw new UploadRefused("formulaire refusé : un seul fichier attendu");
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of data) {
        size += chunk.byteLength;
        if (size > options.maxFileBytes)
          throw new UploadRefused(
            `fichier trop volumineux (${Math.round(options.maxFileBytes / 1024 / 1024)} Mo au plus)`,
          );
        chunks.push(chunk);
      }
      return new File([Buffer.concat(chunks)], filename, { type: contentType });
    }
    let text = "";
    let bytes = 0;
    const decoder = new TextDecoder();
    for await (const chunk of data) {
      bytes += chunk.byteLength;
      if (bytes > maxText) throw new UploadRefused(`formulaire refusé : champ « ${name} » trop long`);
      text += decoder.decode(chunk, { stream: true });
    }
    return text + decoder.decode();
  };
}

/**
 * Remix's multipart parser, with its own failures (a request it cannot read) turned into a refusal the page
 * shows, instead of a 500. Known case: a file named with `=` (`a=b.csv`) makes it throw "malformed
 * content-disposition header", although browsers send such names; the message says to rename the file.
 * Errors thrown by the handler (a disk full, a refusal of ours) pass through unchanged.
 */
export async function parseUpload(request: Request, handler: UploadHandler): Promise<FormData> {
  const ours = new WeakSet<object>();
  const tracked: UploadHandler = async (part) => {
    try {
      return await handler(part);
    } catch (error) {
      if (typeof error === "object" && error !== null) ours.add(error);
      throw error;
    }
  };
  try {
    return await unstable_parseMultipartFormData(request, tracked);
  } catch (error) {
    if (typeof error === "object" && error !== null && ours.has(error)) throw error;
    const detail =
      error instanceof Error && /content-disposition/i.test(error.message)
        ? " : le nom du fichier contient un caractère que le serveur ne sait pas lire (« = », guillemet…), renommez-le"
        : "";
    throw new UploadRefused(`envoi illisible${detail}`);
  }
}
