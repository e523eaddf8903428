/**
 * A forward proxy per scheme of the target, and the hosts that bypass it, read as axios reads them
 * for Checkly (the proxy-from-env rules): lower case before upper case, `ALL_PROXY` for either
 * scheme, no HTTPS fallback to `HTTP_PROXY`. Slack's client is given these same values.
 */
export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  /** Comma- or space-separated hosts (`.example.com` and `host:port` too), `*` for all. */
  noProxy?: string;
}
