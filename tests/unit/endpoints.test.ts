/**
 * The API endpoints (presets and custom base URLs): normalised, https only but for http:// on this
 * computer, the host permission each needs, and the key that tells two APIs apart.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  API_VERSIONS,
  assertSecureUrl,
  customEndpoint,
  DEFAULT_ENDPOINT,
  ENDPOINT_PRESETS,
  endpointKey,
  hostPermissionFor,
  normalizeBaseUrl,
  PRESET_ENDPOINTS,
  refreshUrl,
  signInUrl,
} from '../../src/core/session/endpoints.ts';
import { assertInvalid } from '../support/assert-tako-error.ts';

describe('presets', () => {
  test('the three presets and two versions', () => {
    assert.deepEqual([...ENDPOINT_PRESETS], ['tako-v2', 'tako-v1', 'custom']);
    assert.deepEqual([...API_VERSIONS], ['v1', 'v2']);
  });

  test('tako-v2 is the default: https://api.tako.so, /v2/token and /v2/refresh_token', () => {
    assert.deepEqual(DEFAULT_ENDPOINT, { preset: 'tako-v2', baseUrl: 'https://api.tako.so', version: 'v2' });
    assert.equal(signInUrl(PRESET_ENDPOINTS['tako-v2']), 'https://api.tako.so/v2/token');
    assert.equal(refreshUrl(PRESET_ENDPOINTS['tako-v2']), 'https://api.tako.so/v2/refresh_token');
  });

  test('tako-v1 (legacy): https://api.takoyaki.so, /v1/token and /v1/refresh_token', () => {
    assert.deepEqual(PRESET_ENDPOINTS['tako-v1'], { preset: 'tako-v1', baseUrl: 'https://api.takoyaki.so', version: 'v1' });
    assert.equal(signInUrl(PRESET_ENDPOINTS['tako-v1']), 'https://api.takoyaki.so/v1/token');
    assert.equal(refreshUrl(PRESET_ENDPOINTS['tako-v1']), 'https://api.takoyaki.so/v1/refresh_token');
  });

  test('custom v1 and v2 on a local server', () => {
    const v1 = customEndpoint('http://127.0.0.1:8787/', 'v1');
    const v2 = customEndpoint('http://127.0.0.1:8787', 'v2');
    assert.deepEqual(v1, { preset: 'custom', baseUrl: 'http://127.0.0.1:8787', version: 'v1' });
    assert.equal(signInUrl(v1), 'http://127.0.0.1:8787/v1/token');
    assert.equal(refreshUrl(v1), 'http://127.0.0.1:8787/v1/refresh_token');
    assert.equal(signInUrl(v2), 'http://127.0.0.1:8787/v2/token');
    assert.equal(refreshUrl(v2), 'http://127.0.0.1:8787/v2/refresh_token');
  });

  test('custom with a path prefix keeps it', () => {
    const endpoint = customEndpoint('https://gateway.example.com/tako/', 'v2');
    assert.equal(signInUrl(endpoint), 'https://gateway.example.com/tako/v2/token');
    assert.equal(refreshUrl(endpoint), 'https://gateway.example.com/tako/v2/refresh_token');
  });

  test('custom refuses a version other than v1 / v2', () => {
    assertInvalid(() => customEndpoint('https://api.example.com', 'v3'), /v1 or v2/);
    assertInvalid(() => customEndpoint('https://api.example.com', undefined), /v1 or v2/);
  });
});

describe('normalizeBaseUrl', () => {
  test('drops the trailing slash(es)', () => {
    assert.equal(normalizeBaseUrl('https://api.example.com/'), 'https://api.example.com');
    assert.equal(normalizeBaseUrl('https://api.example.com'), 'https://api.example.com');
    assert.equal(normalizeBaseUrl('https://api.example.com/base//'), 'https://api.example.com/base');
  });

  test('trims spaces and lowercases scheme and host, keeps the port', () => {
    assert.equal(normalizeBaseUrl('  HTTPS://API.Example.COM:8443/Path/  '), 'https://api.example.com:8443/Path');
    assert.equal(normalizeBaseUrl('http://localhost:3000/'), 'http://localhost:3000');
  });

  test('an empty query or fragment marker does not end up in the base URL', () => {
    assert.equal(normalizeBaseUrl('https://api.example.com/?'), 'https://api.example.com');
    assert.equal(normalizeBaseUrl('https://api.example.com/#'), 'https://api.example.com');
  });

  test('rejects a scheme other than http(s)', () => {
    assertInvalid(() => normalizeBaseUrl('ftp://api.example.com'), /must start with https:\/\//);
    assertInvalid(() => normalizeBaseUrl('javascript:alert(1)'), /must start with https:\/\//);
    assertInvalid(() => normalizeBaseUrl('file:///etc/passwd'), /must start with https:\/\//);
  });

  test('rejects credentials', () => {
    assertInvalid(() => normalizeBaseUrl('https://user:secret@api.example.com'), /user name or password/);
    assertInvalid(() => normalizeBaseUrl('https://user@api.example.com'), /user name or password/);
  });

  test('rejects a query or a fragment', () => {
    assertInvalid(() => normalizeBaseUrl('https://api.example.com/?key=1'), /query or fragment/);
    assertInvalid(() => normalizeBaseUrl('https://api.example.com/#top'), /query or fragment/);
  });

  test('rejects garbage', () => {
    assertInvalid(() => normalizeBaseUrl('not a url'), /Not a valid URL: not a url/);
    assertInvalid(() => normalizeBaseUrl('api.example.com'), /Not a valid URL/);
  });

  test('rejects empty and non-strings', () => {
    for (const value of ['', '   ', undefined, null, 42]) {
      assertInvalid(() => normalizeBaseUrl(value), /Enter the API base URL/);
    }
  });
});

describe('https only, http:// on this computer alone', () => {
  // Guards: a signature or a token never travels in the clear to another machine.
  test('normalizeBaseUrl refuses http:// to any other host, with the rule in the message', () => {
    for (const url of ['http://api.example.com', 'http://192.168.1.10:8787', 'http://localhost.example.com', 'http://127.0.0.2:8787']) {
      assertInvalid(() => normalizeBaseUrl(url), /must start with https:\/\/; http:\/\/ is allowed only for a server on this computer/);
      assertInvalid(() => customEndpoint(url, 'v2'), /must start with https:\/\//);
    }
  });

  test('https:// anywhere and http:// on loopback pass', () => {
    assert.equal(normalizeBaseUrl('http://127.0.0.1:8787'), 'http://127.0.0.1:8787');
    assert.equal(normalizeBaseUrl('http://[::1]:8787/'), 'http://[::1]:8787');
    assert.equal(normalizeBaseUrl('https://192.168.1.10:8443'), 'https://192.168.1.10:8443');
  });

  test('assertSecureUrl stops a stored http:// URL at request time', () => {
    assertInvalid(() => assertSecureUrl('http://api.example.com/v2/refresh_token'), /must start with https:\/\//);
    assertInvalid(() => assertSecureUrl('ftp://api.example.com/v2/token'), /must start with https:\/\//);
    assert.doesNotThrow(() => assertSecureUrl('https://api.tako.so/v2/token'));
    assert.doesNotThrow(() => assertSecureUrl('http://localhost:8787/v2/token'));
  });
});

describe('this computer, where http:// is accepted', () => {
  test('127.0.0.1, localhost and [::1] on any port', () => {
    assert.doesNotThrow(() => assertSecureUrl('http://127.0.0.1:8787'));
    assert.doesNotThrow(() => assertSecureUrl('http://localhost:3000/api'));
    assert.doesNotThrow(() => assertSecureUrl('http://[::1]:9000'));
  });

  test('anything else is not', () => {
    assertInvalid(() => assertSecureUrl('http://192.168.1.10:8787'), /must start with https:\/\//);
    assertInvalid(() => assertSecureUrl('http://localhost.example.com'), /must start with https:\/\//);
  });
});

describe('hostPermissionFor', () => {
  test('scheme, host, any port, any path', () => {
    assert.equal(hostPermissionFor('https://api.tako.so'), 'https://api.tako.so/*');
    assert.equal(hostPermissionFor('https://api.takoyaki.so'), 'https://api.takoyaki.so/*');
    assert.equal(hostPermissionFor('https://gateway.example.com:8443/tako'), 'https://gateway.example.com/*');
    assert.equal(hostPermissionFor('http://127.0.0.1:8787'), 'http://127.0.0.1/*');
    assert.equal(hostPermissionFor('http://localhost:3000'), 'http://localhost/*');
  });
});

describe('endpointKey', () => {
  test('the same URL in v1 and v2 are different APIs', () => {
    const v1 = customEndpoint('https://api.example.com', 'v1');
    const v2 = customEndpoint('https://api.example.com', 'v2');
    assert.notEqual(endpointKey(v1), endpointKey(v2));
    assert.equal(endpointKey(v1), 'v1 https://api.example.com');
    assert.equal(endpointKey(v2), 'v2 https://api.example.com');
  });

  test('the same URL and version is the same API, however it was typed or picked', () => {
    assert.equal(endpointKey(customEndpoint('https://API.tako.so/', 'v2')), endpointKey(PRESET_ENDPOINTS['tako-v2']));
    assert.notEqual(endpointKey(PRESET_ENDPOINTS['tako-v1']), endpointKey(PRESET_ENDPOINTS['tako-v2']));
  });
});
