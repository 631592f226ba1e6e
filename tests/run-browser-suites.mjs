/**
 * `npm test`'s last step: the Chromium and Firefox end-to-end suites side by side. Both spend most
 * of their time waiting on real token lifetimes and alarms rather than on the CPU, so running them
 * one after the other only added the Firefox suite's minute to the wall clock. The Chromium suite
 * prints as it goes; the Firefox suite's output is held and printed whole when it ends, so that the
 * two never interleave. Fails if either fails.
 */
import { spawn } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs `npm run <script>`; resolves with its exit code and, if held, its output. */
function run(script, { hold }) {
  const child = spawn(npm, ['run', '--silent', script], { stdio: hold ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  const chunks = [];
  if (hold) {
    child.stdout.on('data', (chunk) => chunks.push(chunk));
    child.stderr.on('data', (chunk) => chunks.push(chunk));
  }
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => child.kill(signal));
  return new Promise((resolve) => {
    child.on('error', (error) => resolve({ code: 1, output: `${script}: ${error.message}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output: Buffer.concat(chunks).toString() }));
  });
}

const [chromium, firefox] = await Promise.all([run('test:e2e', { hold: false }), run('test:firefox', { hold: true })]);
process.stdout.write(`\n--- Firefox ESR suite (ran beside the Chromium suite) ---\n${firefox.output}`);
const failed = [chromium.code !== 0 && 'Chromium', firefox.code !== 0 && 'Firefox'].filter(Boolean);
if (failed.length > 0) {
  console.error(`\nThe ${failed.join(' and ')} end-to-end suite${failed.length > 1 ? 's' : ''} failed.`);
  process.exit(1);
}
