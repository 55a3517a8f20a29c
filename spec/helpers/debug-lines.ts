/** The five lines spec/fixtures/debug-log.ts's requests write with NODE_DEBUG=axios-stale-cache, whatever the store. */
export function expectDebugLines(lines: string[]): void {
  expect(lines).toHaveLength(5);
  expect(lines[0]).toMatch(/AXIOS-STALE-CACHE \d+: GET \S+\/r\?token=\S+ miss status=200 why=nothing stored \d+ms/);
  expect(lines[1]).toMatch(/GET \S+ hit age=\d+ms \d+ms/);
  expect(lines[2]).toMatch(/GET \S+ miss status=200 why=request max-age\/min-fresh/);
  expect(lines[3]).toMatch(/GET \S+ miss status=200 why=request no-cache/);
  expect(lines[4]).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/r bypass reason=method/);
  expect(lines.join('')).not.toMatch(/secret/);
}
