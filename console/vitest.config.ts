import { defineConfig } from "vitest/config";

// Unit tests of the pure logic (test/*.test.ts); the screens are tested in a real browser by
// tests/console/ (pytest + Playwright against the local stack).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
