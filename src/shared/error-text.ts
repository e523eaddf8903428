/**
 * What went wrong, for a log line or an operator: the error's message, with its class in front when
 * that says more than "Error" (`TypeError: …`, `NotFoundError: …`); anything else thrown, as text.
 * The one way the app turns an error into words.
 */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.name === 'Error' ? err.message : `${err.name}: ${err.message}`;
}
