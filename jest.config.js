/**
 * Two projects: `unit` needs nothing; `engine` (integration: real builds; e2e: the bundled dist/ as a runner runs it)
 * needs the engine at DOCKER_HOST, which scripts/test.sh provisions and runs it against once per engine.
 */
const shared = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  resolver: 'ts-jest-resolver',
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
  },
  cacheDirectory: '<rootDir>/node_modules/.cache/jest'
}

export default {
  testTimeout: 120000,
  verbose: false,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/__tests__'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/__tests__/integration/', '/__tests__/e2e/']
    },
    {
      ...shared,
      displayName: 'engine',
      roots: ['<rootDir>/__tests__/integration', '<rootDir>/__tests__/e2e'],
      testMatch: ['**/*.test.ts']
    }
  ]
}
