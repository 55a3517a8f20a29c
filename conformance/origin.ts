/**
 * The test suite's origin server, bound to 127.0.0.1 only.
 *
 * http-cache-tests' own server/server.mjs calls `server.listen(port)` with no host, so it answers on
 * every interface, and it has no option to change that. This module builds the same server from the
 * suite's own request handlers instead: the dispatch below is server.mjs's handleMain, line for line,
 * except that the last branch (handleFile, which serves any file under the working directory for the
 * browser runner) answers 404, since the command-line runner never asks for a file.
 *
 * Run alone: `tsx conformance/origin.ts [--port N]` prints `origin listening http://127.0.0.1:N`.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import handleConfig from 'http-cache-tests/server/handle-config.mjs';
import handleState from 'http-cache-tests/server/handle-state.mjs';
import handleTest from 'http-cache-tests/server/handle-test.mjs';
import { sendResponse } from 'http-cache-tests/server/utils.mjs';

export const LOOPBACK = '127.0.0.1';

export function createOrigin(): http.Server {
  return http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${LOOPBACK}/`);
    const pathSegs = url.pathname.split('/');
    pathSegs.shift();
    const dispatch = pathSegs.shift();
    if (dispatch === 'config') {
      handleConfig(pathSegs, request, response);
    } else if (dispatch === 'test') {
      handleTest(pathSegs, request, response);
    } else if (dispatch === 'state') {
      handleState(pathSegs, request, response);
    } else {
      sendResponse(response, 404, `${url.pathname} Not Found`);
    }
  });
}

/** Starts the origin on 127.0.0.1 (port 0: an ephemeral one) and resolves with its base URL. */
export async function startOrigin(port = 0): Promise<{ server: http.Server; url: string }> {
  const server = createOrigin();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return { server, url: `http://${LOOPBACK}:${bound}` };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--port');
  const port = at === -1 ? 0 : Number(process.argv[at + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`origin: --port must be 0..65535, got ${process.argv[at + 1]}`);
    process.exit(1);
  }
  const { server, url } = await startOrigin(port);
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Stop when the parent that started us goes away (its end of our stdin closes).
  process.stdin.on('end', stop).on('error', stop).resume();
  console.log(`origin listening ${url}`);
}

if (process.argv[1]?.endsWith('origin.ts')) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
