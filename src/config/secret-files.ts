/**
 * Secrets from files: each secret variable may instead name a file that holds it (`SLACK_BOT_TOKEN_FILE=
 * /run/secrets/slack_bot_token`), as Docker and Kubernetes secrets are mounted. The file's content,
 * without its trailing newline, stands for the variable. Problems name the variable and the file,
 * never what is in it.
 */

type Env = Record<string, string | undefined>;

/** Every variable that holds a secret (a token, a key, a password in a URL); each has its `_FILE` form. */
export const SECRET_VARIABLES = [
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'CHECKLY_API_KEY',
  'RUN_API_TOKENS',
  'REDIS_URL',
  'ALERTS_WEBHOOK_SECRET',
] as const;

/** Reads a file as text; throws (with a `code` such as ENOENT) when it cannot. */
export type ReadFile = (path: string) => string;

/**
 * The environment with each `<NAME>_FILE` read into `<NAME>`, and a problem for each file that cannot
 * be read, is empty, or competes with `<NAME>` set as well.
 */
export function readSecretFiles(env: Env, readFile: ReadFile): { env: Env; problems: string[] } {
  const out: Env = { ...env };
  const problems: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const fileVar = `${name}_FILE`;
    const path = env[fileVar]?.trim();
    if (path === undefined || path === '') continue;
    if ((env[name]?.trim() ?? '') !== '') {
      problems.push(`${name} and ${fileVar} are both set: keep one`);
      continue;
    }
    let content: string;
    try {
      content = readFile(path);
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      problems.push(`${fileVar} names a file that cannot be read (${typeof code === 'string' ? code : 'error'}): ${path}`);
      continue;
    }
    const value = content.replace(/\r?\n$/, '').trim();
    if (value === '') {
      problems.push(`${fileVar} names an empty file: ${path}`);
      continue;
    }
    out[name] = value;
  }
  return { env: out, problems };
}
