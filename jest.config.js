/** Unit tests need nothing; integration and end-to-end tests need the engine that scripts/provision-engine.sh provides. */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  resolver: 'ts-jest-resolver',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
  },
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
  testTimeout: 120000,
  verbose: false
}
