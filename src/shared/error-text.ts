/** An error's message for a log line; anything else thrown, as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Like `errorMessage`, with the error's class name in front (`TypeError: …`). */
export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
