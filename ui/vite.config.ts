import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig, type Plugin } from "vitest/config";

const DEV_PORT = 1420;

// The dev server injects component CSS as <style> elements and talks to the
// page over a websocket for hot reload. The policy in index.html is written
// for the bundled app, so only the dev server loosens it, and only for that.
function devContentSecurityPolicy(): Plugin {
  return {
    name: "multipass:dev-csp",
    apply: "serve",
    transformIndexHtml(html) {
      return html
        .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        .replace(
          "connect-src 'self'",
          `connect-src 'self' ws://localhost:${String(DEV_PORT)}`,
        );
    },
  };
}

export default defineConfig({
  plugins: [svelte(), devContentSecurityPolicy()],
  // Keep Rust compiler output visible when `tauri dev` shares the terminal.
  clearScreen: false,
  server: {
    port: DEV_PORT,
    // Tauri loads the dev URL from its config, so another port is useless.
    strictPort: true,
  },
  build: {
    // Spelled out because the Tauri config's frontendDist points here.
    outDir: "dist",
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
