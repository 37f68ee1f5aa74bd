/** Types of scripts/patch-ink.mjs (plain JavaScript: it runs at install time, before TypeScript tools are there). */
export declare const INK_VERSION: string;
export declare const INK_CHANGES: readonly { file: string; before: string; after: string }[];
export declare function ownInk(root?: string): { build: string; version: string } | undefined;
export declare function inkPatched(build: string): boolean;
export declare function patchInk(root?: string): string | undefined;
