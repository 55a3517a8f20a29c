import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, setPriority, tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { once } from 'node:events';
import * as net from 'node:net';

/** True when a Redis server answers PING at host:port within `ms`. */
export function pingRedis(host: string, port: number, ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export function hasRedisServerBinary(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface RedisProcess {
  port: number;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a throw-away redis-server on loopback (nothing on disk) and waits until it answers. */
export async function startRedisServer(port?: number, extraArgs: string[] = []): Promise<RedisProcess> {
  const p = port ?? (await freePort());
  return spawnRedis(p, [
    '--port',
    String(p),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'no',
    ...extraArgs,
  ]);
}

async function spawnRedis(p: number, args: string[]): Promise<RedisProcess> {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await pingRedis('127.0.0.1', p, 200))) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${p} exited with code ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${p} did not answer within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

const exec = promisify(execFile);

async function portIsFree(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port whose cluster bus port (+10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (taken.has(port)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) {
      taken.add(port);
      return port;
    }
  }
}

export interface RedisGroup {
  /** URL of one node (cluster) or of the sentinel. */
  urls: string[];
  ports: number[];
  processes: RedisProcess[];
  stop(): Promise<void>;
}

/** Three cluster-enabled masters on loopback, joined by `redis-cli --cluster create`. */
export async function startCluster(masters = 3): Promise<RedisGroup> {
  const dir = mkdtempSync(path.join(tmpdir(), 'stale-cache-cluster-'));
  const taken = new Set<number>();
  const processes: RedisProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await clusterPort(taken);
      processes.push(
        await startRedisServer(port, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          path.join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--dir',
          dir,
        ]),
      );
    }
    const ports = processes.map((p) => p.port);
    await exec('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const deadline = Date.now() + 15_000;
    for (const port of ports) {
      for (;;) {
        const { stdout } = await exec('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster node ${port} not ok within 15 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return { urls: ports.map((p) => `redis://127.0.0.1:${p}`), ports, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A master and one sentinel watching it as `name`. */
export async function startSentinel(
  name = 'mymaster',
): Promise<RedisGroup & { master: RedisProcess; sentinelPort: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'stale-cache-sentinel-'));
  const processes: RedisProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const master = await startRedisServer();
    processes.push(master);
    const sentinelPort = await freePort();
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        'protected-mode no',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${name} 2000`,
        '',
      ].join('\n'),
    );
    processes.push(await spawnRedis(sentinelPort, [conf, '--sentinel']));
    return {
      urls: [`redis://127.0.0.1:${sentinelPort}`],
      ports: [master.port, sentinelPort],
      processes,
      master,
      sentinelPort,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A redis-server of this describe block's own, started before its tests and stopped after them: for
 * tests that read server-wide state (command counts) or change it (CLIENT PAUSE). Returns its URL.
 * `favoured`: a server that a loaded machine does not starve (see below).
 */
export function privateRedis(options: { favoured?: boolean } = {}): () => string {
  let redis: RedisProcess | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    if (options.favoured && redis.child.pid !== undefined) {
      // Scheduled ahead of the test's own load (other processes keeping the cores busy), so that a
      // late answer is the test process's doing, not a starved server's; where allowed (else as is).
      try {
        setPriority(redis.child.pid, constants.priority.PRIORITY_ABOVE_NORMAL);
      } catch {
        // not permitted: the server runs at the normal priority
      }
    }
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return () => {
    if (!redis) throw new Error('privateRedis(): the server starts in beforeAll');
    return redis.url;
  };
}
