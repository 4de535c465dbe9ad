import { defineConfig } from "vitest/config";

// Preact's JSX through esbuild; everything bundled (no CDN), hashed names under assets/ so the
// server can cache them for good.
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false, target: "es2020" },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
