/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  // Sources import './x.js' (what Node's ESM needs); under jest they resolve to the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/spec/setup/global-setup.ts',
  globalTeardown: '<rootDir>/spec/setup/global-teardown.ts',
  testTimeout: 30_000,
};
