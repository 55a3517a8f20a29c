// proxy-from-env (the library axios itself resolves environment proxies with) ships no types.
declare module 'proxy-from-env' {
  /** The proxy URL the *_PROXY / NO_PROXY environment variables give for `url`, or '' for none. */
  export function getProxyForUrl(url: string | URL): string;
}
