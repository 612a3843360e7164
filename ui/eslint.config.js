import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import svelte from "eslint-plugin-svelte";
import globals from "globals";
import ts from "typescript-eslint";
import svelteConfig from "./svelte.config.js";

export default defineConfig(
  { ignores: ["dist/", "node_modules/"] },
  js.configs.recommended,
  ts.configs.strictTypeChecked,
  ts.configs.stylisticTypeChecked,
  svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: [".svelte"],
      },
    },
  },
  {
    files: ["**/*.svelte", "**/*.svelte.ts"],
    languageOptions: {
      parserOptions: {
        parser: ts.parser,
        svelteConfig,
      },
    },
  },
  {
    rules: {
      // bindings.ts must use type aliases (it is generated from Rust later),
      // so the rest of the code follows the same style.
      "@typescript-eslint/consistent-type-definitions": ["error", "type"],
    },
  },
  {
    // Config files run in Node, not in the webview.
    files: ["*.config.js", "*.config.ts"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // Plain JS config files are outside the TypeScript project.
    files: ["**/*.js"],
    extends: [ts.configs.disableTypeChecked],
  },
  {
    files: ["**/*.test.ts"],
    rules: {
      // Assertions on values the test itself just built are the point.
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
);
