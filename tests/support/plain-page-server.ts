/**
 * A server of one plain page (no script of its own, no CSP) on loopback, at a free port: a page
 * of another origin than the stack's, at the same host (127.0.0.1) or as `localhost`, whose own
 * script can call the stack. A page fulfilled by the test runner's routing cannot: Chromium counts
 * it as a public page and refuses its requests to this computer.
 */
import http from 'node:http';

export interface PlainPageServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function servePlainPage(): Promise<PlainPageServer> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>plain</title><p>A plain page.</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
