/**
 * What a form needs from a field component to move focus into it. Declared
 * here rather than derived from the component type because the linter's
 * TypeScript program cannot see inside .svelte files.
 */
export type Focusable = { focus: () => void };
