/**
 * How the app's Slack calls travel. Every Web API client (the Bolt app's, the run messages', Socket
 * Mode's) and Bolt's `respond()` are given this `fetch`: the platform's fetch over one undici
 * dispatcher that keeps connections alive, goes through the proxy of HTTP_PROXY / HTTPS_PROXY
 * (NO_PROXY bypasses it, as for Checkly's calls) and gives every call at most `timeoutMs`, its
 * answer's body included. Socket Mode's websocket goes through the same proxy.
 */
import type { webApi } from '@slack/bolt';
import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import type { ProxySettings } from '../config';

export interface SlackHttpOptions {
  proxy: ProxySettings;
  timeoutMs: number;
}

/** A `fetch` as the Web API client calls it (a `clientOptions.fetch`), answering the platform's Response. */
export type SlackFetch = (url: string | URL, init?: Parameters<webApi.FetchFunction>[1]) => Promise<Response>;

export interface SlackHttp {
  /** For `clientOptions.fetch`. */
  fetch: SlackFetch;
  /**
   * For Socket Mode's websocket when a proxy is set; without one, Socket Mode's own dispatcher,
   * which can cut a socket the peer stopped answering on.
   */
  socketDispatcher?: Dispatcher;
  /** Closes the connections, cutting whatever is still in flight. */
  close(): Promise<void>;
}

/** A Slack call that got no answer within its timeout: Slack may have carried it out all the same. */
export class SlackTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Slack did not answer within ${timeoutMs} ms`);
    this.name = 'SlackTimeout';
  }
}

/**
 * Connections per Slack host. Each WebClient already queues its calls beyond 100 in flight; this
 * bounds the sockets of all of them together.
 */
const CONNECTIONS_PER_HOST = 100;

export function slackHttp(options: SlackHttpOptions): SlackHttp {
  // Explicit values (empty for "none"), so that the dispatcher follows the same settings as the
  // rest of the app rather than reading the environment again by its own rules.
  const proxy = { httpProxy: options.proxy.httpProxy ?? '', httpsProxy: options.proxy.httpsProxy ?? '', noProxy: options.proxy.noProxy ?? '' };
  // A plain-HTTP target (a Slack stand-in) is asked of the proxy with its absolute URL, as axios
  // does; an HTTPS one always through a CONNECT tunnel, so the proxy never sees the token.
  const dispatcher = new EnvHttpProxyAgent({ ...proxy, proxyTunnel: false, connections: CONNECTIONS_PER_HOST });
  // A websocket's upgrade needs a tunnel whatever the scheme.
  const socketDispatcher = proxy.httpProxy !== '' || proxy.httpsProxy !== '' ? new EnvHttpProxyAgent(proxy) : undefined;
  const fetch: SlackFetch = async (url, init = {}) => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      // The platform's fetch, not undici's own: the client builds an upload's form with the
      // platform's FormData, which only the platform's fetch encodes.
      return await globalThis.fetch(url, { ...init, signal, dispatcher: dispatcher as unknown as RequestInit['dispatcher'] } as RequestInit);
    } catch (err) {
      throw timeout.aborted ? new SlackTimeout(options.timeoutMs) : err;
    }
  };
  return {
    fetch,
    ...(socketDispatcher && { socketDispatcher }),
    async close() {
      await Promise.all([dispatcher.destroy(), socketDispatcher?.destroy()]);
    },
  };
}
