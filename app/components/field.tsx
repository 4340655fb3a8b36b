import type { InputHTMLAttributes, ReactNode } from "react";

type FieldProps = {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "id">;

/** A labelled input with its hint and error, wired for screen readers (aria-invalid, aria-describedby). */
export function Field({ id, label, hint, error, ...input }: FieldProps) {
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        {...input}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
      />
      {error ? (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      ) : null}
      {hint ? (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      ) : null}
    </div>
  );
}

/**
 * A field's error, under its control, inside the field's box: `id` is the control's, the message gets
 * `${id}-error`, which the control names in aria-describedby (`describedBy`). Nothing when there is no error.
 * `alert` announces it (a form whose only message it is: no banner says it again).
 */
export function FieldError({ id, error, alert }: { id: string; error?: string | null; alert?: boolean }) {
  return error ? (
    <p className="field-error" id={`${id}-error`} role={alert ? "alert" : undefined}>
      {error}
    </p>
  ) : null;
}

/** aria-invalid and aria-describedby of a control with an optional hint (`${id}-hint`) and error. */
export function describedBy(
  id: string,
  opts: { error?: string | null; hint?: boolean },
): { "aria-invalid"?: true; "aria-describedby"?: string } {
  const ids = [opts.hint ? `${id}-hint` : null, opts.error ? `${id}-error` : null].filter(Boolean).join(" ");
  return {
    ...(opts.error ? { "aria-invalid": true as const } : {}),
    ...(ids ? { "aria-describedby": ids } : {}),
  };
}
