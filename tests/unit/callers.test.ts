/**
 * Who the background answers, decided from what the browser reports about a message's sender.
 * Each test names the guarantee it guards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isExtensionPage, pageCaller, type Sender } from '../../src/background/messaging/callers.ts';

const EXTENSION = { id: 'abcdefghijklmnopabcdefghijklmnop', baseUrl: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/' };

/** A content script of this extension in the top frame of https://app.example. */
const CONTENT_SCRIPT: Sender = {
  id: EXTENSION.id,
  url: 'https://app.example/path?q=1',
  origin: 'https://app.example',
  frameId: 0,
  tab: { id: 7 },
};

describe('pageCaller', () => {
  test('a content script in the top frame of a web page is a caller, with the origin the browser reports', () => {
    assert.deepEqual(pageCaller(CONTENT_SCRIPT, EXTENSION), { origin: 'https://app.example', tabId: 7 });
    assert.deepEqual(pageCaller({ ...CONTENT_SCRIPT, url: 'http://127.0.0.1:8787/', origin: 'http://127.0.0.1:8787' }, EXTENSION), {
      origin: 'http://127.0.0.1:8787',
      tabId: 7,
    });
  });

  // Guards: the origin is the browser's sender.origin, never derived from a URL when the browser
  // reported one (a document's URL and its origin differ for sandboxed and about:/blob: documents).
  test('the origin comes from sender.origin, and from the URL only when the browser reports none', () => {
    assert.equal(pageCaller({ ...CONTENT_SCRIPT, url: 'https://other.example/' }, EXTENSION)?.origin, 'https://app.example');
    const { origin: _, ...withoutOrigin } = CONTENT_SCRIPT;
    assert.equal(pageCaller(withoutOrigin, EXTENSION)?.origin, 'https://app.example');
  });

  // Guards: a sandboxed page (opaque origin "null") is no origin anyone could allow, whatever its URL says.
  test('an opaque origin is refused even with a web URL', () => {
    assert.equal(pageCaller({ ...CONTENT_SCRIPT, origin: 'null' }, EXTENSION), undefined);
  });

  // Guards: only the top frame speaks for a page: an iframe cannot reach the top page's session.
  test('a frame other than the top frame is refused', () => {
    assert.equal(pageCaller({ ...CONTENT_SCRIPT, frameId: 3 }, EXTENSION), undefined);
    const { frameId: _, ...noFrame } = CONTENT_SCRIPT;
    assert.equal(pageCaller(noFrame, EXTENSION), undefined);
  });

  // Guards: another extension's messages are not page requests.
  test("another extension's id is refused", () => {
    assert.equal(pageCaller({ ...CONTENT_SCRIPT, id: 'ponmlkjihgfedcbaponmlkjihgfedcba' }, EXTENSION), undefined);
    const { id: _, ...noId } = CONTENT_SCRIPT;
    assert.equal(pageCaller(noId, EXTENSION), undefined);
  });

  // Guards: only http(s) pages are served.
  test('an origin that is not http(s) is refused', () => {
    for (const origin of ['file://', 'chrome-extension://abcdefghijklmnopabcdefghijklmnop', 'ftp://files.example', 'data:']) {
      assert.equal(pageCaller({ ...CONTENT_SCRIPT, origin }, EXTENSION), undefined, origin);
    }
    const { origin: _, ...fileUrl } = { ...CONTENT_SCRIPT, url: 'file:///home/me/page.html' };
    assert.equal(pageCaller(fileUrl, EXTENSION), undefined);
  });

  // Guards: a message from no tab (an extension page, a worker) is never taken as a page's.
  test('a sender without a tab is refused', () => {
    const { tab: _, ...noTab } = CONTENT_SCRIPT;
    assert.equal(pageCaller(noTab, EXTENSION), undefined);
    assert.equal(pageCaller({ ...CONTENT_SCRIPT, tab: {} }, EXTENSION), undefined);
  });
});

describe('isExtensionPage', () => {
  // Guards: the extension-page protocol (sign-in, revoke, approvals) is only for the extension's own pages.
  test("only this extension's own pages", () => {
    assert.equal(isExtensionPage({ id: EXTENSION.id, url: `${EXTENSION.baseUrl}popup.html` }, EXTENSION), true);
    assert.equal(isExtensionPage(CONTENT_SCRIPT, EXTENSION), false);
    assert.equal(isExtensionPage({ id: 'ponmlkjihgfedcbaponmlkjihgfedcba', url: `${EXTENSION.baseUrl}popup.html` }, EXTENSION), false);
    assert.equal(isExtensionPage({ id: EXTENSION.id }, EXTENSION), false);
  });
});
