import type { AxiosAdapter, InternalAxiosRequestConfig } from 'axios';

/*
 * What every hit benchmark serves: a 2 KB JSON document and an adapter that answers it at once.
 * Apart from contenders.ts because that one imports the package, which a benchmark of other builds
 * (compare-builds.ts) must not load.
 */

/** A 2 KB JSON document, as an API would send it. */
export const BODY = {
  items: Array.from({ length: 18 }, (_, i) => ({
    id: i,
    sku: `SKU-${1000 + i}`,
    name: `Item number ${i}`,
    price: 10 + i * 1.25,
    tags: ['a', 'b', 'c'],
    stock: i % 3 === 0,
  })),
  page: 1,
  total: 18,
};
export const BODY_TEXT = JSON.stringify(BODY);

/** What axios's http adapter resolves with: the raw text, JSON content type; answers at once. */
export const rawAdapter: AxiosAdapter = (config: InternalAxiosRequestConfig) =>
  Promise.resolve({
    data: BODY_TEXT,
    status: 200,
    statusText: 'OK',
    headers: { 'content-type': 'application/json' },
    config,
    request: {},
  });
