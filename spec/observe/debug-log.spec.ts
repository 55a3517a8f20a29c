import { runFixture } from '../helpers/fixtures';

/** NODE_DEBUG=axios-stale-cache: why was this a miss? One line per request, secrets redacted. */
describe('the debug log', () => {
  it('writes one line per request with its decision, and why a lookup went upstream', async () => {
    const lines = JSON.parse(await runFixture('debug-log.ts', [], [], { NODE_DEBUG: 'axios-stale-cache' })) as string[];
    const text = lines.join('');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/AXIOS-STALE-CACHE \d+: GET \S+\/r\?token=\S+ miss status=200 why=nothing stored \d+ms/);
    expect(lines[1]).toMatch(/GET \S+ hit age=\d+ms \d+ms/);
    expect(lines[2]).toMatch(/GET \S+ miss status=200 why=request max-age\/min-fresh/);
    expect(lines[3]).toMatch(/GET \S+ miss status=200 why=request no-cache/);
    expect(lines[4]).toMatch(/POST \S+ bypass reason=method/);
    expect(text).not.toMatch(/secret/);
  });

  it('writes nothing when NODE_DEBUG does not name it', async () => {
    const lines = JSON.parse(await runFixture('debug-log.ts', [], [], { NODE_DEBUG: 'http' })) as string[];
    expect(lines.filter((l) => l.includes('AXIOS-STALE-CACHE'))).toEqual([]);
  });
});
