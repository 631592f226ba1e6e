// esbuild plugin shared by build.mjs and the local stack's demo bundle.
//
// @metamask/providers' root entry also exports its stream-based providers, and even its EIP-6963
// module imports a helper file that reaches Node's `events`. Pages need only EIP-6963 discovery
// and announcement, so the bare specifier is pointed at that one module and `events` at a stub.
// Tree-shaking removes the stub; build.mjs checks that it never reaches a bundle.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const NODE_STUB_MARKER = 'tako-session: node builtin reached a browser bundle';

export const eip6963OnlyPlugin = {
  name: 'metamask-eip6963-only',
  setup(build) {
    build.onResolve({ filter: /^@metamask\/providers$/ }, () => ({ path: 'eip6963', namespace: 'metamask-eip6963' }));
    build.onLoad({ filter: /.*/, namespace: 'metamask-eip6963' }, () => ({
      contents: `export { requestProvider as eip6963RequestProvider, announceProvider as eip6963AnnounceProvider } from ${JSON.stringify(
        path.join(root, 'node_modules/@metamask/providers/dist/EIP6963.mjs'),
      )};`,
      resolveDir: root,
    }));
    build.onResolve({ filter: /^events$/ }, () => ({ path: 'events', namespace: 'node-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({
      contents: `export class EventEmitter { constructor() { throw new Error(${JSON.stringify(NODE_STUB_MARKER)}); } }`,
    }));
  },
};
