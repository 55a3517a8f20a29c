import { randomBytes } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A connected client that never crashes the test process on a connection error. */
export async function connect(
  url = REDIS_URL,
  options: Parameters<typeof createClient>[0] = {},
): Promise<RedisClientType> {
  const client = createClient({ url, ...options }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Key prefixes of our own, so test files running in parallel on one Redis never meet. */
export function prefixes(): { primaryKeyPrefix: string; staleKeyPrefix: string } {
  const id = randomBytes(6).toString('hex');
  return { primaryKeyPrefix: `t${id}_primary`, staleKeyPrefix: `t${id}_stale` };
}

/** Every key under our prefixes, and their removal. */
export async function keysOf(
  client: RedisClientType,
  p: { primaryKeyPrefix: string; staleKeyPrefix: string },
): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of [p.primaryKeyPrefix, p.staleKeyPrefix]) {
    for await (const batch of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) keys.push(...batch);
  }
  return keys.sort();
}

export async function cleanup(
  client: RedisClientType,
  p: { primaryKeyPrefix: string; staleKeyPrefix: string },
): Promise<void> {
  const keys = await keysOf(client, p);
  if (keys.length > 0) await client.del(keys);
}

/** `INFO commandstats` as { command: calls }. */
export async function commandCalls(client: RedisClientType): Promise<Record<string, number>> {
  const info = await client.info('commandstats');
  const calls: Record<string, number> = {};
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m?.[1] && m[2]) calls[m[1]] = Number(m[2]);
  }
  return calls;
}

/** The commands a server ran during `action` (INFO commandstats, reset first; the reset and INFO left out). */
export async function commandDelta(
  admin: RedisClientType,
  action: () => Promise<unknown>,
): Promise<Record<string, number>> {
  await admin.configResetStat();
  await action();
  const calls = await commandCalls(admin);
  delete calls['config|resetstat'];
  delete calls.info;
  return calls;
}

/** Pauses a server's clients for `ms` (CLIENT PAUSE ALL), through a connection of its own. */
export async function pauseServer(url: string, ms: number): Promise<void> {
  const admin = await connect(url);
  try {
    await admin.sendCommand(['CLIENT', 'PAUSE', String(ms), 'ALL']);
  } finally {
    await admin.close();
  }
}
