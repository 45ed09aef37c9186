import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['www/src/**/*.test.ts'],
    environment: 'node',
  },
});
