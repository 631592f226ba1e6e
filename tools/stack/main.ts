/**
 * Runs the local stack for development:
 *   tsx tools/stack/main.ts [--port N] [--access-ttl SECONDS] [--refresh-ttl SECONDS]
 * The port comes from --port, else TAKO_STACK_PORT, else 8787.
 */
import { parseArgs } from 'node:util';
import { startStack } from './server.ts';

const DEFAULT_PORT = 8787;

function wholeNumber(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    console.error(`${name} must be a whole number of at least ${min} (got ${JSON.stringify(text)})`);
    process.exit(2);
  }
  return value;
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'access-ttl': { type: 'string' },
    'refresh-ttl': { type: 'string' },
  },
});

const stack = await startStack({
  port: wholeNumber('--port', values.port ?? process.env.TAKO_STACK_PORT, 0) ?? DEFAULT_PORT,
  accessTtlSec: wholeNumber('--access-ttl', values['access-ttl'], 1),
  refreshTtlSec: wholeNumber('--refresh-ttl', values['refresh-ttl'], 1),
});
const config = stack.configure({});

console.log(`Tako local stack on ${stack.url}
  demo dapp         GET  ${stack.url}/
  Tako sign-in      POST ${stack.url}/v2/token            (and /v1/token)
  Tako refresh      POST ${stack.url}/v2/refresh_token    (and /v1/refresh_token)
  Tako ignore_bid   POST ${stack.url}/v2/farcaster/ignore_bid  (Authorization: Bearer <token>)
  MetaHuman token   POST ${stack.url}/auth/token          (form: name, mail, comment)
  controls          GET  ${stack.url}/__stack/requests | /__stack/faults | /__stack/config
                    POST ${stack.url}/__stack/requests/clear | /__stack/faults | /__stack/faults/clear | /__stack/config
  tokens live ${config.accessTtlSec} s (access) and ${config.refreshTtlSec} s (refresh)`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping`);
  await stack.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
