/** proxy-from-env (axios's own rule for HTTP(S)_PROXY / NO_PROXY) ships no types. */
declare module 'proxy-from-env' {
  /** The proxy URL the environment names for `url`, or '' when none applies (NO_PROXY included). */
  export function getProxyForUrl(url: string | URL): string;
}
