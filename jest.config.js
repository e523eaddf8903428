/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // tsconfig's isolatedModules makes ts-jest transpile only, which keeps jest fast; `npm test` type-checks first with tsc.
    '^.+\\.ts$': 'ts-jest',
  },
  testTimeout: 30000,
};
