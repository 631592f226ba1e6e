import type { Plugin } from 'esbuild';

export declare const NODE_STUB_MARKER: string;
export declare const eip6963OnlyPlugin: Plugin;
