/** What an action answers: `ok` says whether it was applied, `message` says what happened, in French. */
export interface ActionOutcome {
  ok: boolean;
  message: string;
}

/** The banner under a page's title after a form was posted: success in green, refusal in red. */
export function ActionResult({ result }: { result: ActionOutcome | null | undefined }) {
  if (!result) return null;
  return (
    <div className={result.ok ? "alert alert-success" : "alert alert-error"} role="alert">
      {result.message}
    </div>
  );
}
