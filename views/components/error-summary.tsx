// <ErrorSummary>: the list of problems at the top of a re-rendered form, each linking to its field.
import type { FC } from 'hono/jsx';

export interface FieldError {
  /** The id of the input the message is about (the link target). */
  field: string;
  message: string;
}

export const ErrorSummary: FC<{ errors: FieldError[]; title?: string }> = ({ errors, title }) => {
  if (errors.length === 0) return null;
  return (
    // role="alert": announced as soon as the re-rendered page (or htmx fragment) appears.
    <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex={-1}>
      <h2 class="error-summary__title" id="error-summary-title">
        {title ?? '入力内容を確認してください'}
      </h2>
      <ul class="error-summary__list">
        {errors.map((e) => (
          <li>
            <a href={`#${e.field}`}>{e.message}</a>
          </li>
        ))}
      </ul>
    </div>
  );
};
