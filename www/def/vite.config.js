import { defineConfig } from "vite";

// Built by scripts/build-sites.sh into dist/def, which demo/partner.mjs serves for DEF.
export default defineConfig({
  root: import.meta.dirname,
  logLevel: "warn",
  build: {
    outDir: "../../dist/def",
    emptyOutDir: true,
    // The demo's shared sign-in helpers are served by the partner server at runtime.
    rollupOptions: { external: ["/site.js"] },
  },
});
