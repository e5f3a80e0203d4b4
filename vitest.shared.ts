// Shared vitest settings: tests resolve sibling @nibble/* packages to their TypeScript sources through the
// "source" export condition, so no package has to be built before another one's tests run.
import { defineConfig } from 'vitest/config';
import { defaultServerConditions } from 'vite';

export const sharedConfig = defineConfig({
  resolve: { conditions: ['source', ...defaultServerConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
