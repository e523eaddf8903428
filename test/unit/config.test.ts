import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { holdsPlaceholder, loadConfig, loadConfigWithFiles } from '../../src/config';
import { SECRET_VARIABLES } from '../../src/config/secret-files';
import { secretsOf } from '../../src/wiring/process';

const BASE = {
  SLACK_BOT_TOKEN: 'xoxb-1-secret-bot-token',
  SLACK_SIGNING_SECRET: 'secret-signing-value',
  CHECKLY_API_KEY: 'cu_secret_checkly_key',
  CHECKLY_ACCOUNT_ID: '6a1b0c4e-8f3d-4a52-9a7e-2f1c3b4d5e6f',
};

describe('loadConfig', () => {
  test('defaults follow docs/operations.md#configuration', () => {
    const result = loadConfig(BASE);
    if (!result.ok) throw new Error(result.problems.join('; '));
    expect(result.config.slack).toMatchObject({
      apiUrl: 'https://slack.com/api/',
      command: '/checkly',
      port: 3000,
      appToken: undefined,
      updateIntervalMs: 1000,
      maxUpdatesPerMinute: 50,
    });
    expect(result.config.checkly).toMatchObject({
      apiUrl: 'https://api.checklyhq.com',
      pollWaitSeconds: 30,
      maxRequestsPerMinute: 300,
      catalogueTtlMs: 300_000,
    });
    expect(result.config.runs.timeoutMs).toBe(1_800_000);
    expect(result.config.runs.sweepIntervalMs).toBe(15_000);
    expect(result.config.runs.triggerTimeoutMs).toBe(90_000);
    expect(result.config.logLevel).toBe('info');
  });

  test('the sweep interval and trigger timeout are read, and bad values named', () => {
    const result = loadConfig({ ...BASE, RUN_SWEEP_INTERVAL_MS: '250', RUN_TRIGGER_TIMEOUT_MS: '3000' });
    if (!result.ok) throw new Error(result.problems.join('; '));
    expect(result.config.runs).toMatchObject({ sweepIntervalMs: 250, triggerTimeoutMs: 3000 });
    const bad = loadConfig({ ...BASE, RUN_SWEEP_INTERVAL_MS: '5', RUN_TRIGGER_TIMEOUT_MS: 'soon' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problems.some((p) => p.startsWith('RUN_SWEEP_INTERVAL_MS'))).toBe(true);
      expect(bad.problems.some((p) => p.startsWith('RUN_TRIGGER_TIMEOUT_MS'))).toBe(true);
    }
  });

  test('nothing set: one line per missing variable, in HTTP mode the signing secret too', () => {
    const result = loadConfig({});
    expect(result).toEqual({
      ok: false,
      problems: [
        'SLACK_BOT_TOKEN is missing: required',
        'SLACK_SIGNING_SECRET is missing: required in HTTP mode (when SLACK_APP_TOKEN is not set)',
        'CHECKLY_API_KEY is missing: required',
        'CHECKLY_ACCOUNT_ID is missing: required',
      ],
    });
  });

  test('Socket Mode needs no signing secret', () => {
    const { SLACK_SIGNING_SECRET: _, ...rest } = BASE;
    const result = loadConfig({ ...rest, SLACK_APP_TOKEN: 'xapp-1-app-token' });
    expect(result.ok).toBe(true);
  });

  test('malformed values are named, never echoed', () => {
    const env = {
      ...BASE,
      SLACK_BOT_TOKEN: 'xoxp-a-user-token-by-mistake',
      SLACK_APP_TOKEN: 'not-an-app-token',
      CHECKLY_ACCOUNT_ID: 'acct-secretish-value',
      PORT: 'eighty',
      CHECKLY_POLL_WAIT_SECONDS: '31',
      SLACK_COMMAND: 'no-slash-here',
      CHECKLY_API_URL: 'ftp://example.com',
      LOG_LEVEL: 'loud',
    };
    const result = loadConfig(env);
    if (result.ok) throw new Error('expected problems');
    expect(result.problems).toEqual([
      'SLACK_APP_TOKEN is malformed: must start with xapp-',
      'SLACK_BOT_TOKEN is malformed: must start with xoxb-',
      'SLACK_COMMAND is malformed: must be a slash command such as /checkly',
      'PORT is malformed: must be a whole number from 0 to 65535',
      'CHECKLY_ACCOUNT_ID is malformed: must be a UUID (Checkly: Account settings, General)',
      'CHECKLY_API_URL is malformed: must be an http(s) URL',
      'CHECKLY_POLL_WAIT_SECONDS is malformed: must be a whole number from 1 to 30',
      'LOG_LEVEL is malformed: must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
    const all = result.problems.join('\n');
    for (const value of Object.values(env)) expect(all).not.toContain(value);
  });

  test('CHECK_CATALOGUE_TTL_SECONDS: whole seconds from 1 to a day', () => {
    const set = loadConfig({ ...BASE, CHECK_CATALOGUE_TTL_SECONDS: '60' });
    expect(set.ok && set.config.checkly.catalogueTtlMs).toBe(60_000);
    for (const bad of ['0', '-5', '1.5', 'five', '86401']) {
      const result = loadConfig({ ...BASE, CHECK_CATALOGUE_TTL_SECONDS: bad });
      expect(result).toEqual({ ok: false, problems: ['CHECK_CATALOGUE_TTL_SECONDS is malformed: must be a whole number from 1 to 86400'] });
    }
  });

  test('URLs are normalised: Slack with a trailing slash, Checkly without', () => {
    const result = loadConfig({ ...BASE, SLACK_API_URL: 'http://127.0.0.1:9/api', CHECKLY_API_URL: 'http://127.0.0.1:8/' });
    if (!result.ok) throw new Error(result.problems.join('; '));
    expect(result.config.slack.apiUrl).toBe('http://127.0.0.1:9/api/');
    expect(result.config.checkly.apiUrl).toBe('http://127.0.0.1:8');
  });

  test('SLACK_REQUEST_TIMEOUT_MS: 10 s unless set, and a bad value named', () => {
    const result = loadConfig(BASE);
    if (!result.ok) throw new Error(result.problems.join('; '));
    expect(result.config.slack.requestTimeoutMs).toBe(10_000);
    const set = loadConfig({ ...BASE, SLACK_REQUEST_TIMEOUT_MS: '2500' });
    expect(set.ok && set.config.slack.requestTimeoutMs).toBe(2500);
    expect(loadConfig({ ...BASE, SLACK_REQUEST_TIMEOUT_MS: '0' })).toEqual({
      ok: false,
      problems: ['SLACK_REQUEST_TIMEOUT_MS is malformed: must be a whole number from 100 to 120000'],
    });
  });

  test('the proxy variables are read as axios reads them for Checkly: lower case first, ALL_PROXY for either scheme', () => {
    const proxy = (env: Record<string, string>) => {
      const result = loadConfig({ ...BASE, ...env });
      if (!result.ok) throw new Error(result.problems.join('; '));
      return result.config.proxy;
    };
    expect(proxy({})).toEqual({});
    expect(proxy({ HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128', NO_PROXY: 'localhost,.internal' })).toEqual({
      httpsProxy: 'http://lower:3128',
      noProxy: 'localhost,.internal',
    });
    // No HTTPS fallback to HTTP_PROXY (axios has none): only ALL_PROXY covers both.
    expect(proxy({ HTTP_PROXY: 'http://web:3128' })).toEqual({ httpProxy: 'http://web:3128' });
    expect(proxy({ ALL_PROXY: 'http://all:3128', HTTP_PROXY: 'http://web:3128' })).toEqual({ httpProxy: 'http://web:3128', httpsProxy: 'http://all:3128' });
  });

  test('a malformed proxy is named, its credentials never echoed; they are secrets to scrub', () => {
    const bad = loadConfig({ ...BASE, HTTPS_PROXY: 'proxy.corp:3128 user:hunter2' });
    expect(bad).toEqual({ ok: false, problems: ['HTTPS_PROXY is malformed: must be an http(s) URL'] });
    const good = loadConfig({ ...BASE, HTTPS_PROXY: 'http://ops:p%40ss-w0rd-9@proxy.corp:3128' });
    if (!good.ok) throw new Error(good.problems.join('; '));
    // Both forms of the password, as written in the URL and as sent, are scrubbed.
    expect(secretsOf(good.config).scrubText('proxy p%40ss-w0rd-9 / p@ss-w0rd-9')).toBe('proxy [REDACTED] / [REDACTED]');
  });

  test("Redis's password (REDIS_URL, a secret variable like the tokens) is kept out of logs too", () => {
    const loaded = loadConfig({ ...BASE, REDIS_URL: 'rediss://default:redis-pass-w0rd-77@redis.internal:6380' });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    expect(secretsOf(loaded.config).scrubText('AUTH redis-pass-w0rd-77 failed')).toBe('AUTH [REDACTED] failed');
  });
});

describe('placeholders from .env.example', () => {
  /** Every `NAME=value` line of .env.example, commented out or not. */
  const example = new Map(
    readFileSync(path.join(__dirname, '../../.env.example'), 'utf8')
      .split('\n')
      .map((line) => /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line))
      .flatMap((m) => (m ? [[m[1]!, m[2]!] as const] : [])),
  );

  test.each(['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'CHECKLY_API_KEY', 'CHECKLY_ACCOUNT_ID', 'RUN_API_TOKENS'])(
    '%s as .env.example shows it is refused, by name, with what to set and without the value',
    (name) => {
      const value = example.get(name);
      expect(value).toBeDefined();
      const result = loadConfig({ ...BASE, SLACK_APP_TOKEN: 'xapp-1-real-app-token', [name]: value });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const line = result.problems.find((p) => p.startsWith(`${name} holds the placeholder from .env.example: set `));
      expect(line).toBeDefined();
      expect(result.problems.join('\n')).not.toContain(value!.split(':').pop()!);
    },
  );

  test('a copy of .env.example not filled in: one line per placeholder, nothing else', () => {
    const copy = Object.fromEntries(
      [...example].filter(([name]) => ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'CHECKLY_API_KEY', 'CHECKLY_ACCOUNT_ID'].includes(name)),
    );
    const result = loadConfig(copy);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems.map((p) => p.split(' ')[0])).toEqual(['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'CHECKLY_API_KEY', 'CHECKLY_ACCOUNT_ID']);
  });

  test('real values that merely start like a placeholder pass', () => {
    expect(loadConfig({ ...BASE, SLACK_BOT_TOKEN: 'xoxb-your-bot-token-2', CHECKLY_API_KEY: 'your-checkly-api-key-but-real' }).ok).toBe(true);
  });
});

describe('secrets from files (<NAME>_FILE)', () => {
  const files: Record<string, string> = {
    '/run/secrets/bot': 'xoxb-from-a-file\n',
    '/run/secrets/key': 'cu_key_from_a_file',
    '/run/secrets/empty': '\n',
  };
  const readFile = (p: string): string => {
    const content = files[p];
    if (content === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${p}'`), { code: 'ENOENT' });
    return content;
  };
  const { SLACK_BOT_TOKEN: _bot, CHECKLY_API_KEY: _key, ...rest } = BASE;

  test('each secret may come from the file its _FILE variable names, without the trailing newline', () => {
    const result = loadConfigWithFiles({ ...rest, SLACK_BOT_TOKEN_FILE: '/run/secrets/bot', CHECKLY_API_KEY_FILE: '/run/secrets/key' }, readFile);
    if (!result.ok) throw new Error(result.problems.join('; '));
    expect(result.config.slack.botToken).toBe('xoxb-from-a-file');
    expect(result.config.checkly.apiKey).toBe('cu_key_from_a_file');
  });

  test('every secret variable has its _FILE form, documented in .env.example and docs/operations.md', () => {
    const docs = readFileSync(path.join(__dirname, '../../docs/operations.md'), 'utf8');
    const env = readFileSync(path.join(__dirname, '../../.env.example'), 'utf8');
    for (const name of SECRET_VARIABLES) {
      expect(docs).toContain(`${name}_FILE`);
      expect(env).toContain(`${name}_FILE`);
    }
    expect([...SECRET_VARIABLES].sort()).toEqual([
      'ALERTS_WEBHOOK_SECRET',
      'CHECKLY_API_KEY',
      'REDIS_URL',
      'RUN_API_TOKENS',
      'SLACK_APP_TOKEN',
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
    ]);
  });

  test('an unreadable file, an empty one, or both forms set: named, with the file, never a value', () => {
    const result = loadConfigWithFiles(
      {
        ...rest,
        SLACK_BOT_TOKEN_FILE: '/run/secrets/missing',
        CHECKLY_API_KEY: 'cu_inline_key',
        CHECKLY_API_KEY_FILE: '/run/secrets/key',
        SLACK_SIGNING_SECRET_FILE: '/run/secrets/empty',
        SLACK_SIGNING_SECRET: '',
      },
      readFile,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        'SLACK_BOT_TOKEN_FILE names a file that cannot be read (ENOENT): /run/secrets/missing',
        'CHECKLY_API_KEY and CHECKLY_API_KEY_FILE are both set: keep one',
        'SLACK_SIGNING_SECRET_FILE names an empty file: /run/secrets/empty',
      ]),
    );
    expect(result.problems.join('\n')).not.toMatch(/cu_inline_key|cu_key_from_a_file/);
  });

  test('a placeholder in a file is refused too', () => {
    const result = loadConfigWithFiles({ ...rest, CHECKLY_API_KEY: 'cu_k', SLACK_BOT_TOKEN_FILE: '/run/secrets/placeholder' }, (p) =>
      p === '/run/secrets/placeholder' ? 'xoxb-your-bot-token\n' : readFile(p),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toContain('SLACK_BOT_TOKEN holds the placeholder from .env.example: set the bot token from OAuth & Permissions');
  });
});

test('compose.secrets.yaml: each secret it mounts is read through its *_FILE variable at /run/secrets/<name>', () => {
  const compose = parse(readFileSync(path.join(__dirname, '../../compose.secrets.yaml'), 'utf8')) as {
    services: { app: { environment: Record<string, string>; secrets: string[] } };
    secrets: Record<string, { file: string }>;
  };
  const { environment, secrets } = compose.services.app;
  expect(secrets.length).toBeGreaterThanOrEqual(3);
  for (const secret of secrets) {
    expect(compose.secrets[secret]?.file).toBe(`./secrets/${secret}`);
    const variable = Object.entries(environment).find(([, value]) => value === `/run/secrets/${secret}`)?.[0];
    expect(variable).toBe(`${secret.toUpperCase()}_FILE`);
    expect(SECRET_VARIABLES).toContain(variable!.replace(/_FILE$/, ''));
  }
});

test('holdsPlaceholder: the demo takes a .env copied from .env.example as unset', () => {
  expect(holdsPlaceholder('CHECKLY_API_KEY', 'your-checkly-api-key')).toBe(true);
  expect(holdsPlaceholder('CHECKLY_ACCOUNT_ID', '00000000-0000-0000-0000-000000000000')).toBe(true);
  expect(holdsPlaceholder('CHECKLY_API_KEY', 'cu_real')).toBe(false);
  expect(holdsPlaceholder('CHECKLY_API_KEY', undefined)).toBe(false);
});
