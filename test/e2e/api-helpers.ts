import type { Harness } from './harness';

export const API_TOKENS = {
  deploy: { name: 'deploy-web', secret: 'dw-secret-0123456789abcdef0123456789abcdef' },
  other: { name: 'nightly', secret: 'nt-secret-0123456789abcdef0123456789abcdef' },
};

export const API_ENV = {
  RUN_API_TOKENS: `${API_TOKENS.deploy.name}:${API_TOKENS.deploy.secret},${API_TOKENS.other.name}:${API_TOKENS.other.secret}`,
};

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** The body as JSON (an empty object when it is not JSON): assert with toMatchObject. */
  json: Record<string, unknown>;
  text: string;
}

export function apiBase(h: Pick<Harness, 'app'>): string {
  return `http://127.0.0.1:${h.app.port}`;
}

/** One request to the run API over real HTTP, as a pipeline sends it. */
export async function api(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  opts: { secret?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...opts.headers };
  const secret = opts.secret === undefined ? API_TOKENS.deploy.secret : opts.secret;
  if (secret !== null) headers.Authorization = `Bearer ${secret}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the test asserts on `text`
  }
  return { status: res.status, headers: res.headers, json, text };
}
