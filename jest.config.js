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
  // Most suites wait on child processes and sockets, not on the CPU: two workers on two cores take
  // the suite from about 340 s to about 195 s (jest's default here is one worker).
  maxWorkers: 2,
};
