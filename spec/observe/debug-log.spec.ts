import { expectDebugLines } from '../helpers/debug-lines';
import { runFixture } from '../helpers/fixtures';

/**
 * NODE_DEBUG=axios-stale-cache: why was this a miss? One line per request, secrets redacted, on every
 * store (the Clusters' runs are in redis-cluster.spec.ts and ioredis.spec.ts, beside their servers).
 */
describe('the debug log', () => {
  it.each(['memory', 'node-redis', 'ioredis', 'ioredis6', 'iovalkey'])(
    'writes one line per request with its decision, and why a lookup went upstream (%s)',
    async (store) => {
      const env = { NODE_DEBUG: 'axios-stale-cache', DEBUG_LOG_STORE: store };
      expectDebugLines(JSON.parse(await runFixture('debug-log.ts', [], [], env)) as string[]);
    },
  );

  it('writes nothing when NODE_DEBUG does not name it', async () => {
    const lines = JSON.parse(await runFixture('debug-log.ts', [], [], { NODE_DEBUG: 'http' })) as string[];
    expect(lines.filter((l) => l.includes('AXIOS-STALE-CACHE'))).toEqual([]);
  });
});
