import { networkCause, SocketHealth } from '../../src/ops/startup-checks';

/** As @slack/web-api throws it: a RequestError wrapping fetch's TypeError wrapping the system error. */
function slackRequestError(cause: object | undefined, fetchMessage = 'fetch failed') {
  const fetchError = Object.assign(new TypeError(fetchMessage), cause ? { cause } : {});
  return Object.assign(new Error(`A request error occurred: ${fetchMessage}`), { code: 'slack_webapi_request_error', original: fetchError });
}

describe('networkCause', () => {
  test.each([
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND slack.invalid' }, 'DNS lookup failed (ENOTFOUND)'],
    [{ code: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN slack.com' }, 'DNS lookup failed (EAI_AGAIN)'],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'connection refused (ECONNREFUSED)'],
    [{ code: 'UND_ERR_CONNECT_TIMEOUT', message: 'Connect Timeout Error' }, 'timed out (UND_ERR_CONNECT_TIMEOUT)'],
    [{ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }, 'TLS failed (CERT_HAS_EXPIRED)'],
    [{ code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' }, 'TLS failed (SELF_SIGNED_CERT_IN_CHAIN)'],
    [{ code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number' }, 'TLS failed (ERR_SSL_WRONG_VERSION_NUMBER)'],
    [{ code: 'ECONNRESET', message: 'socket hang up' }, 'connection reset (ECONNRESET)'],
    [{ code: 'EHOSTUNREACH', message: 'connect EHOSTUNREACH 10.0.0.1:443' }, 'EHOSTUNREACH: connect EHOSTUNREACH 10.0.0.1:443'],
  ])('%j reads as "%s", never as the wrapper\'s code', (cause, expected) => {
    expect(networkCause(slackRequestError(cause))).toBe(expected);
  });

  test('a failure without a system code reads as the innermost message', () => {
    expect(networkCause(slackRequestError({ message: 'bad port' }))).toBe('bad port');
    expect(networkCause(slackRequestError(undefined))).toBe('fetch failed');
  });
});

describe('SocketHealth', () => {
  test('down until the first hello, healthy within the grace, unhealthy after it, healthy again once connected', () => {
    let now = 0;
    const health = new SocketHealth(() => now, 30_000);
    expect(health.ok()).toBe(true);
    now = 30_001;
    expect(health.ok()).toBe(false);
    health.connected();
    expect(health.ok()).toBe(true);
    health.disconnected();
    now += 30_000;
    expect(health.ok()).toBe(true);
    // A second "down" event does not restart the clock.
    health.disconnected();
    now += 1;
    expect(health.ok()).toBe(false);
    health.connected();
    expect(health.ok()).toBe(true);
  });
});
