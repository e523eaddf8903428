import { loadConfig } from '../../src/config';
import { secretsOf } from '../../src/wiring/process';

const BASE = {
  SLACK_BOT_TOKEN: 'xoxb-1-secret-bot-token',
  SLACK_SIGNING_SECRET: 'secret-signing-value',
  CHECKLY_API_KEY: 'cu_secret_checkly_key',
  CHECKLY_ACCOUNT_ID: '6a1b0c4e-8f3d-4a52-9a7e-2f1c3b4d5e6f',
};

describe('loadConfig', () => {
  test('defaults follow product.md section 4', () => {
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
    expect(secretsOf(good.config)).toEqual(expect.arrayContaining(['p%40ss-w0rd-9', 'p@ss-w0rd-9']));
  });
});
