import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import type { RedisClientType } from 'redis';
import { redisStore } from '../../lib/stores/redis';
import { fleetTasks } from '../helpers/fleet';
import { cleanup, connect, prefixes, REDIS_URL } from '../helpers/redis';
import { send, startUpstream } from '../helpers/upstream';

/*
 * coalesce: 'fleet' on one Redis: three instances on three node-redis clients. The Cluster and the
 * ioredis families run the same tasks in their own files (on the servers those start).
 */
describe("coalesce: 'fleet' on node-redis (three clients, one server)", () => {
  let clients: RedisClientType[] = [];
  beforeAll(async () => {
    clients = await Promise.all([connect(), connect(), connect()]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });
  fleetTasks(() => clients.map((c) => redisStore(c)));
});

describe("coalesce: 'fleet' across real processes", () => {
  it('3 processes × 20 concurrent identical misses: 1 upstream call', async () => {
    const upstream = await startUpstream();
    upstream.route('/fleet', send.delayed(500, send.json({ fleet: true })));
    const p = prefixes();
    try {
      const members = Array.from({ length: 3 }, () =>
        spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            path.resolve(__dirname, '../fixtures/fleet-member.ts'),
            REDIS_URL,
            upstream.baseURL,
            p.primaryKeyPrefix,
            p.staleKeyPrefix,
            '/fleet',
            '20',
          ],
          { stdio: ['pipe', 'pipe', 'inherit'] },
        ),
      );
      const outputs = members.map((child) => lines(child));
      // Every member ready (its client connected) before any of them asks.
      const exited = members.map((child) => once(child, 'exit'));
      await Promise.all(outputs.map((out) => out.next()));
      for (const child of members) child.stdin?.write('go\n');
      const results = (await Promise.all(outputs.map((out) => out.next()))).map(
        (line) => JSON.parse(line) as { statuses: number[]; states: string[]; coalesced: number; leaders: number },
      );
      await Promise.all(exited);
      expect(upstream.calls('/fleet')).toBe(1);
      expect(results.flatMap((r) => r.statuses)).toEqual(Array(60).fill(200));
      // One leader in all; every other caller followed a flight, or found the entry it left.
      expect(results.reduce((n, r) => n + r.leaders, 0)).toBe(1);
    } finally {
      await upstream.close();
      const admin = await connect();
      await cleanup(admin, p);
      await admin.close();
    }
  }, 30_000);
});

/** A child's stdout, a line at a time. */
function lines(child: ChildProcess): { next(): Promise<string> } {
  const queue: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    for (let at = buffered.indexOf('\n'); at !== -1; at = buffered.indexOf('\n')) {
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      const take = waiting.shift();
      if (take) take(line);
      else queue.push(line);
    }
  });
  return {
    next: () => {
      const line = queue.shift();
      return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}
