import { AsyncLocalStorage } from 'node:async_hooks';
import * as diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';

/*
 * Whether an upstream request is making progress, seen from outside it. Asking axios for download
 * progress would change the request (the http adapter then pipes the body through a stream of its
 * own, and a body cut off mid-way fails with another error), and axios reports it three times a
 * second at most. So the cache listens where Node's HTTP clients publish their requests
 * (node:diagnostics_channel) and keeps to the ones started inside the call it leads (an
 * AsyncLocalStorage): for Node's http client, the response and every chunk of its body; for the
 * fetch adapter (undici), the response headers. Listening changes nothing the adapter does.
 */

type OnProgress = () => void;

const calls = new AsyncLocalStorage<OnProgress>();
const undiciRequests = new WeakMap<object, OnProgress>();
let subscribed = false;

function subscribe(): void {
  if (subscribed) return;
  subscribed = true;
  diagnostics.subscribe('http.client.request.start', (message) => {
    const onProgress = calls.getStore();
    if (!onProgress) return;
    const { request } = message as { request: { on(event: 'response', fn: (res: IncomingMessage) => void): void } };
    request.on('response', (response) => {
      onProgress();
      response.on('data', onProgress);
    });
  });
  diagnostics.subscribe('undici:request:create', (message) => {
    const onProgress = calls.getStore();
    if (onProgress) undiciRequests.set((message as { request: object }).request, onProgress);
  });
  diagnostics.subscribe('undici:request:headers', (message) => {
    undiciRequests.get((message as { request: object }).request)?.();
  });
}

/** Runs `call`, which makes an upstream request: `onProgress` hears of its answer arriving. */
export function withProgress<T>(onProgress: OnProgress, call: () => T): T {
  subscribe();
  return calls.run(onProgress, call);
}
