// <Field>: one labelled input with its hint and error, wired for screen readers (aria-describedby/-invalid).
import type { FC } from 'hono/jsx';

export interface FieldProps {
  id: string;
  name: string;
  label: string;
  type?: 'text' | 'password' | 'search' | 'email' | 'tel' | 'number';
  value?: string;
  hint?: string;
  /** The message shown next to the input; the same text belongs in the <ErrorSummary>. */
  error?: string | undefined;
  required?: boolean;
  autocomplete?: string;
  /** 'latin' (a WHATWG idea no browser implements) is accepted and sent as 'text'. */
  inputmode?: 'text' | 'latin' | 'numeric' | 'email' | 'tel' | 'search';
  spellcheck?: boolean;
  autocapitalize?: 'off' | 'none' | 'characters' | 'words' | 'sentences';
  /** Width hint in characters (CSS class), for short codes such as 保証契約番号. */
  width?: 'short' | 'medium' | 'long';
  maxlength?: number;
  autofocus?: boolean;
}

export const Field: FC<FieldProps> = (p) => {
  const hintId = p.hint ? `${p.id}-hint` : null;
  const errorId = p.error ? `${p.id}-error` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={p.error ? 'field field--error' : 'field'}>
      <label class="field__label" for={p.id}>
        {p.label}
        {p.required ? <span class="field__required">必須</span> : null}
      </label>
      {p.hint ? (
        <p class="field__hint" id={hintId ?? undefined}>
          {p.hint}
        </p>
      ) : null}
      {p.error ? (
        <p class="field__error" id={errorId ?? undefined}>
          <span class="visually-hidden">エラー：</span>
          {p.error}
        </p>
      ) : null}
      <input
        class={`input input--${p.width ?? 'medium'}`}
        id={p.id}
        name={p.name}
        type={p.type ?? 'text'}
        value={p.value ?? ''}
        required={p.required}
        autocomplete={p.autocomplete}
        inputmode={p.inputmode === 'latin' ? 'text' : p.inputmode}
        spellcheck={p.spellcheck}
        autocapitalize={p.autocapitalize}
        maxlength={p.maxlength}
        autofocus={p.autofocus}
        aria-describedby={describedBy}
        aria-invalid={p.error ? 'true' : undefined}
      />
    </div>
  );
};
