import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

/** @type {import("@sveltejs/vite-plugin-svelte").SvelteConfig} */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Forcing runes mode everywhere keeps a component from silently
    // falling back to legacy reactivity when it happens to use no rune.
    runes: true,
  },
};
