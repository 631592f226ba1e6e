/**
 * An organisation's policy: read key by key from what managed storage holds (a bad key is named
 * and left out, the rest applies), and what it decides for a site.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPolicy } from '../../src/background/policy/policy.ts';
import { NO_POLICY, POLICY_KEYS, policyForSite, readPolicy } from '../../src/core/policy/policy.ts';
import { PRESET_ENDPOINTS } from '../../src/core/session/endpoints.ts';

describe('readPolicy', () => {
  test('every key read as documented', () => {
    const { policy, problems } = readPolicy({
      endpoint: 'https://tako.corp.example/',
      apiVersion: 'v1',
      allowedSites: ['https://app.corp.example'],
      blockedSites: ['https://evil.example'],
      metahumanToken: false,
      sessionLifetime: 'idle',
      idleMinutes: 30,
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(policy, {
      endpoint: { preset: 'custom', baseUrl: 'https://tako.corp.example', version: 'v1' },
      allowedSites: ['https://app.corp.example'],
      blockedSites: ['https://evil.example'],
      metahumanToken: false,
      sessionLifetime: { kind: 'idle', idleSeconds: 1800 },
    });
  });

  test('nothing set (no policy, or not an object) is no policy', () => {
    for (const raw of [undefined, null, {}, [], 'endpoint']) assert.deepEqual(readPolicy(raw), { policy: NO_POLICY, problems: [] });
  });

  test('a preset endpoint is named as the preset', () => {
    assert.deepEqual(readPolicy({ endpoint: 'https://api.tako.so' }).policy.endpoint, PRESET_ENDPOINTS['tako-v2']);
  });

  test('a bad key is named and left out; the others still apply', () => {
    const { policy, problems } = readPolicy({
      endpoint: 'http://tako.corp.example',
      allowedSites: ['https://ok.example', 'https://path.example/app', 'javascript:alert(1)', 42],
      blockedSites: 'https://evil.example',
      metahumanToken: 'no',
      sessionLifetime: 'max-age',
      maxAgeDays: 0,
      colour: 'blue',
    });
    assert.equal(policy.endpoint, undefined, 'http:// off this computer would carry tokens in the clear');
    assert.deepEqual(policy.allowedSites, ['https://ok.example']);
    assert.deepEqual(policy.blockedSites, []);
    assert.equal(policy.metahumanToken, true);
    assert.equal(policy.sessionLifetime, undefined);
    assert.deepEqual(
      problems.map((problem) => problem.split(':')[0]),
      ['colour', 'allowedSites', 'allowedSites', 'allowedSites', 'blockedSites', 'endpoint', 'metahumanToken', 'sessionLifetime'],
    );
  });

  test('the schema the browser checks the policy against lists exactly these keys', async () => {
    const { readFile } = await import('node:fs/promises');
    const schema = JSON.parse(await readFile(new URL('../../managed-schema.json', import.meta.url), 'utf8')) as {
      properties: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(schema.properties).sort(), [...POLICY_KEYS].sort());
  });
});

describe('policyForSite', () => {
  const policy = {
    ...NO_POLICY,
    allowedSites: ['https://app.corp.example', 'https://x.evil.example'],
    blockedSites: ['https://evil.example'],
  };

  test('a blocked origin covers its subdomains, on the same scheme and port only', () => {
    assert.equal(policyForSite(policy, 'https://evil.example'), 'blocked');
    assert.equal(policyForSite(policy, 'https://a.b.evil.example'), 'blocked');
    assert.equal(policyForSite(policy, 'http://evil.example'), null);
    assert.equal(policyForSite(policy, 'https://evil.example:8443'), null);
    assert.equal(policyForSite(policy, 'https://notevil.example'), null);
  });

  test('allowed is exact, and blocked wins', () => {
    assert.equal(policyForSite(policy, 'https://app.corp.example'), 'allowed');
    assert.equal(policyForSite(policy, 'https://other.corp.example'), null);
    assert.equal(policyForSite(policy, 'https://x.evil.example'), 'blocked');
  });
});

/** Lets every promise job run (the fakes below answer in promise jobs, no timers). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** Managed storage as Chromium answers it after a browser start: only once the test says so. */
function lateManagedStorage() {
  let answer!: (raw: unknown) => void;
  const answered = new Promise<unknown>((resolve) => (answer = resolve));
  return { read: () => answered, answer };
}

function keptPolicy(value: unknown) {
  const kept = { value, writes: 0 };
  return {
    kept,
    port: {
      get: async () => kept.value,
      set: async (raw: unknown) => {
        kept.writes++;
        kept.value = raw;
      },
    },
  };
}

describe('the policy in the background (createPolicy)', () => {
  const BLOCKING = { blockedSites: ['https://evil.example'] };

  // Guards the browser start: Chromium answers managed storage seconds after it, and every page
  // call and the popup waited for that answer. With the answer held, the policy kept is given.
  test('after a browser start the policy kept applies until managed storage answers, then what it says', async () => {
    const managed = lateManagedStorage();
    const { kept, port } = keptPolicy(BLOCKING);
    let lateChanges = 0;
    const policy = createPolicy(managed.read, { kept: port, onLateChange: () => lateChanges++ });
    const first = await Promise.race([policy.policy(), settled().then(() => 'waiting for managed storage')]);
    assert.deepEqual(first, readPolicy(BLOCKING).policy);

    managed.answer({});
    await settled();
    assert.equal(lateChanges, 1);
    assert.deepEqual(await policy.policy(), NO_POLICY);
    assert.deepEqual(kept.value, {}, 'what it said is kept for the next start');
  });

  test('with nothing kept (the first start), managed storage is waited for, and kept', async () => {
    const managed = lateManagedStorage();
    const { kept, port } = keptPolicy(undefined);
    const policy = createPolicy(managed.read, { kept: port });
    const answer = policy.policy();
    assert.equal(await Promise.race([answer, settled().then(() => 'waiting')]), 'waiting');
    managed.answer(BLOCKING);
    assert.deepEqual(await answer, readPolicy(BLOCKING).policy);
    await settled();
    assert.deepEqual(kept.value, BLOCKING);
  });

  test('managed storage saying what was kept changes nothing and writes nothing', async () => {
    const { kept, port } = keptPolicy(BLOCKING);
    let lateChanges = 0;
    const policy = createPolicy(async () => structuredClone(BLOCKING), { kept: port, onLateChange: () => lateChanges++ });
    await policy.policy();
    await settled();
    assert.deepEqual([lateChanges, kept.writes], [0, 0]);
  });

  test('an answer from before a change of policy is not applied over it', async () => {
    const managed = lateManagedStorage();
    const { port } = keptPolicy({});
    let lateChanges = 0;
    let reads = 0;
    const policy = createPolicy(() => (++reads === 1 ? managed.read() : Promise.resolve(BLOCKING)), {
      kept: port,
      onLateChange: () => lateChanges++,
    });
    await policy.policy();
    policy.reload();
    assert.deepEqual(await policy.policy(), NO_POLICY, 'the kept policy until the new read answers');
    managed.answer({ allowedSites: ['https://app.example'] });
    await settled();
    assert.deepEqual(await policy.policy(), readPolicy(BLOCKING).policy);
    assert.deepEqual(await port.get(), BLOCKING, 'the newer answer is the one kept');
  });
});
