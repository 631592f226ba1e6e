import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { measureSkewMs, NEGLIGIBLE_SKEW_MS, parseHttpDate } from '../../src/core/clock-skew.ts';
import { PRESET_ENDPOINTS } from '../../src/core/endpoints.ts';
import { decideTokenRequest, nextRefreshAt } from '../../src/core/lifecycle.ts';
import { serverNow, sessionFromGrant, toLocalTime } from '../../src/core/session.ts';
import { parseTokenReply } from '../../src/core/tako-client.ts';
import { vectors } from '../vectors.ts';

const { getToken } = vectors.tokens;
/** getToken's pair was issued at its exp - 3600 s, on the server's clock. */
const ISSUED_SERVER_MS = (getToken.token_claims.exp - 3600) * 1000;
const TEN_MINUTES = 600_000;

function grantWithDate(serverDateMs: number) {
  const body = JSON.stringify({
    status: 'success',
    data: { token_type: 'Bearer', token: getToken.token, refresh_token: getToken.refresh_token, expires_in: 3600 },
  });
  return parseTokenReply(200, body, { date: new Date(serverDateMs).toUTCString() }, 0);
}

describe('measureSkewMs', () => {
  test('a server 10 minutes ahead or behind is measured to within the header resolution', () => {
    // The server's true time is local +/- 10 min; its Date header drops the 250 ms.
    const local = 1_700_000_000_250;
    const ahead = measureSkewMs(local + TEN_MINUTES - 250, local);
    const behind = measureSkewMs(local - TEN_MINUTES - 250, local);
    assert.ok(Math.abs(ahead - TEN_MINUTES) <= 500, `ahead: ${ahead}`);
    assert.ok(Math.abs(behind + TEN_MINUTES) <= 500, `behind: ${behind}`);
  });

  test('sub-second differences and a missing header count as no skew', () => {
    assert.equal(measureSkewMs(1_700_000_000_000, 1_700_000_000_900), 0);
    assert.equal(measureSkewMs(1_700_000_000_000, 1_700_000_000_000 + NEGLIGIBLE_SKEW_MS - 400), 0);
    assert.equal(measureSkewMs(undefined, 1_700_000_000_000), 0);
  });

  test('parseHttpDate reads IMF-fixdate and refuses garbage', () => {
    assert.equal(parseHttpDate('Tue, 01 Aug 2023 10:29:31 GMT'), Date.parse('2023-08-01T10:29:31.000Z'));
    assert.equal(parseHttpDate('soon'), undefined);
    assert.equal(parseHttpDate(null), undefined);
  });
});

describe('decisions on the server clock', () => {
  for (const offset of [TEN_MINUTES, -TEN_MINUTES]) {
    test(`server ${offset > 0 ? 'ahead' : 'behind'} by 10 minutes: refresh and hand-out follow its clock`, () => {
      const localReceived = ISSUED_SERVER_MS - offset;
      const session = sessionFromGrant(grantWithDate(ISSUED_SERVER_MS), PRESET_ENDPOINTS['tako-v2'], getToken.token_claims.address, localReceived);
      assert.equal(session.skewMs, offset + 500);
      // The alarm fires at exp - 300 s on the server's clock, expressed in local time.
      assert.equal(toLocalTime(session, nextRefreshAt(session)), getToken.token_claims.exp * 1000 - 300_000 - offset - 500);
      // Just past exp on the server's clock the token is not served, whatever the local clock says.
      const localJustAfterExpiry = getToken.token_claims.exp * 1000 - offset;
      assert.ok(serverNow(session, localJustAfterExpiry) >= session.accessExpMs);
      assert.notEqual(decideTokenRequest({ ...session, retryAtMs: localJustAfterExpiry + 10_000 }, serverNow(session, localJustAfterExpiry)).kind, 'serve');
      // Fresh on the server's clock: served, with no refresh (a naive local check would loop
      // refreshing when the server is behind, or serve expired tokens when it is ahead).
      assert.deepEqual(decideTokenRequest(session, serverNow(session, localReceived + 1000)), { kind: 'serve' });
    });
  }
});
