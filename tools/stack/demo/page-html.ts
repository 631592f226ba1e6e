import { createHash } from 'node:crypto';

const STYLE = `
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem; color: #222; }
  main { display: grid; grid-template-columns: 1fr 22rem; gap: 1.5rem; align-items: start; }
  section { border: 1px solid #ddd; border-radius: 8px; padding: 0.75rem 1rem; margin-bottom: 1rem; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.05rem; margin: 0 0 0.5rem; display: flex; gap: 0.4rem; align-items: center; }
  code, pre { font: 12px/1.4 ui-monospace, monospace; word-break: break-all; white-space: pre-wrap; }
  pre { background: #f6f6f6; padding: 0.5rem; border-radius: 4px; }
  label { display: block; margin: 0.4rem 0; }
  select { max-width: 100%; }
  button { margin-right: 0.5rem; }
  .wallet { background: #fffaf5; }
  .request { border-top: 1px dashed #e8590c; margin-top: 0.5rem; padding-top: 0.5rem; }
  .warning { color: #a61e4d; font-size: 0.85rem; }
  .muted { color: #666; font-size: 0.9rem; }
  .mono { font: 12px/1.4 ui-monospace, monospace; word-break: break-all; }
  .facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.75rem; margin: 0.5rem 0; }
  .facts dt { color: #666; } .facts dd { margin: 0; }
  .buttons { display: flex; flex-wrap: wrap; gap: 0.4rem; margin: 0.5rem 0; } .buttons button { margin: 0; }
  [data-busy="true"] .buttons { opacity: 0.6; }
  .error { color: #c92a2a; }
  h3 { font-size: 0.95rem; margin: 0.75rem 0 0.25rem; }
  .events { font-size: 0.85rem; padding-left: 1.25rem; margin: 0; }
`;

// The inline style is allowed by its hash, so the policy needs no 'unsafe-inline'.
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** Only the page's own script runs; it may talk to the stack it came from and nothing else. */
export const DEMO_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'sha256-${STYLE_HASH}'`,
  'img-src data:',
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const DEMO_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tako Session demo dapp</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
<script src="/demo.js"></script>
</head>
<body>
<h1>Tako Session demo dapp</h1>
<p class="muted">A page for trying the Tako Session extension against the local stack. Its wallet is a
development wallet that signs with public test keys: never send funds to its addresses.</p>
<main>
<div>
<section aria-labelledby="extension-heading">
<h2 id="extension-heading">Extension</h2>
<p data-testid="tako-session-status">takoSession: checking…</p>
</section>
<section id="page-api" data-testid="page-api" aria-labelledby="page-api-heading">
<h2 id="page-api-heading">Page API</h2>
<!-- Mounted by demo.js: buttons that call window.takoSession.request(...) and what they got. -->
</section>
<section aria-labelledby="wallets-heading">
<h2 id="wallets-heading">Wallets announced (EIP-6963)</h2>
<ul data-testid="wallets-seen"></ul>
</section>
</div>
<div id="wallet-panels" aria-label="Dev wallet"></div>
</main>
</body>
</html>
`;
