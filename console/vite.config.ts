import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The build is deterministic: file names carry content hashes only, nothing carries a time.
// `base: "./"` lets the same files be served from any path; config.json is fetched relative
// to the page too (src/config.ts).
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // Nothing inlined as data: or inline script: the deployed Content-Security-Policy allows
    // script-src 'self' and style-src 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
