/**
 * The expiry notice's click: it opens the popup, where the person sees where a signature would come
 * from; it never signs in by itself (its deps hold no way to).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ExpiryNoticeClickDeps, onExpiryNoticeClicked } from '../../src/background/session/expiry-notice.ts';
import { DEV_ADDRESS } from '../support/dev-addresses.ts';

function fakes(actionPopup: 'opens' | 'refused') {
  const done: string[] = [];
  const deps: ExpiryNoticeClickDeps = {
    clear: async (id) => void done.push(`clear ${id}`),
    openActionPopup: async () => {
      if (actionPopup === 'refused') throw new Error('no focused window');
      done.push('action popup');
    },
    windows: {
      openPopup: async (path) => {
        done.push(`window ${path}`);
        return 1;
      },
    },
    popupPage: 'popup.html',
  };
  return { deps, done };
}

test('a click on the expiry notice opens the toolbar popup', async () => {
  const { deps, done } = fakes('opens');
  await onExpiryNoticeClicked(deps, `expired ${DEV_ADDRESS}`);
  assert.deepEqual(done, [`clear expired ${DEV_ADDRESS}`, 'action popup']);
});

test('where the browser will not open the toolbar popup, the popup opens as a window', async () => {
  const { deps, done } = fakes('refused');
  await onExpiryNoticeClicked(deps, `expired ${DEV_ADDRESS}`);
  assert.deepEqual(done, [`clear expired ${DEV_ADDRESS}`, 'window popup.html']);
});

test("another notification's click is not the expiry notice's", async () => {
  const { deps, done } = fakes('opens');
  await onExpiryNoticeClicked(deps, 'something else');
  assert.deepEqual(done, []);
});
