// Keys, limits and budgets as the official SDK sees them: its error
// classes, the x-ratelimit-* headers, Retry-After, and x-should-retry
// stopping its retries on a spent budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { env, DEMO_CHAT, DEMO_EMBED } from './helpers.mjs';

const base = () => env('OUTCROP_KEYS_URL');
const master = () => env('OUTCROP_KEYS_MASTER');

/** Calls the admin API with the master key. */
async function admin(method, path, body) {
  const res = await fetch(base() + path, {
    method,
    headers: { authorization: `Bearer ${master()}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

let n = 0;
/** Creates a key with a fresh name; returns the admin API's answer. */
function createKey(spec) {
  n += 1;
  return admin('POST', '/admin/keys', { name: `conformance-${process.pid}-${n}`, ...spec });
}

function sdk(apiKey, options = {}) {
  return new OpenAI({ baseURL: base() + '/v1', apiKey, maxRetries: 0, timeout: 30_000, ...options });
}

const hello = { model: DEMO_CHAT, messages: [{ role: 'user', content: 'Hello' }] };

test('a wrong key is an AuthenticationError', async () => {
  await assert.rejects(sdk('sk-oc-not-a-key').chat.completions.create(hello), (err) => {
    assert.ok(err instanceof OpenAI.AuthenticationError, `got ${err.constructor.name}`);
    assert.equal(err.status, 401);
    assert.equal(err.code, 'invalid_api_key');
    assert.ok(err.requestID, 'no x-request-id');
    return true;
  });
});

test('the master key and a virtual key both work', async () => {
  const k = await createKey({});
  assert.match(k.key, /^sk-oc-[A-Za-z0-9_-]{43}$/);
  for (const key of [master(), k.key]) {
    const out = await sdk(key).chat.completions.create(hello);
    assert.equal(out.object, 'chat.completion');
  }
});

test('rate limit headers, then a RateLimitError with Retry-After', async () => {
  const k = await createKey({ rpm: 2, tpm: 100000 });
  const client = sdk(k.key);
  const { data, response } = await client.chat.completions.create(hello).withResponse();
  assert.equal(data.object, 'chat.completion');
  assert.equal(response.headers.get('x-ratelimit-limit-requests'), '2');
  assert.equal(response.headers.get('x-ratelimit-remaining-requests'), '1');
  assert.match(response.headers.get('x-ratelimit-reset-requests'), /^[0-9.]+(ms|s)$|^[0-9]+m[0-9.]+s$/);
  assert.equal(response.headers.get('x-ratelimit-limit-tokens'), '100000');
  await client.chat.completions.create({ ...hello, stream: true }).then(async (s) => {
    for await (const _ of s) { /* drain */ }
  });
  await assert.rejects(client.chat.completions.create(hello), (err) => {
    assert.ok(err instanceof OpenAI.RateLimitError, `got ${err.constructor.name}`);
    assert.equal(err.status, 429);
    assert.equal(err.code, 'rate_limit_exceeded');
    assert.equal(err.type, 'requests');
    assert.ok(Number(err.headers.get('retry-after')) >= 1);
    assert.ok(Number(err.headers.get('retry-after-ms')) > 0);
    return true;
  });
});

test('a model the key may not use is a PermissionDeniedError', async () => {
  const k = await createKey({ models: [DEMO_CHAT] });
  await assert.rejects(sdk(k.key).embeddings.create({ model: DEMO_EMBED, input: 'x' }), (err) => {
    assert.ok(err instanceof OpenAI.PermissionDeniedError, `got ${err.constructor.name}`);
    assert.equal(err.code, 'model_not_allowed');
    return true;
  });
});

test('a spent budget is insufficient_quota, and the SDK does not retry it', async () => {
  // A request reserves its prompt plus 30 tokens ($0.001 each): about $0.035.
  const k = await createKey({ budget_usd: 0.1, budget_period: 'day' });
  const client = sdk(k.key, { maxRetries: 3 });
  const body = { ...hello, max_tokens: 30 };
  let ok = 0;
  let refused;
  for (let i = 0; i < 10 && !refused; i++) {
    try {
      await client.chat.completions.create(body);
      ok += 1;
    } catch (err) {
      refused = err;
    }
  }
  assert.ok(refused instanceof OpenAI.RateLimitError, `got ${refused && refused.constructor.name} after ${ok}`);
  assert.equal(refused.code, 'insufficient_quota');
  assert.equal(refused.type, 'insufficient_quota');
  assert.equal(refused.headers.get('x-should-retry'), 'false');
  assert.ok(ok >= 1 && ok <= 3, `${ok} requests passed a $0.10 budget`);
  // The ledger has each request once: the refused one was not retried.
  let spend;
  for (let i = 0; i < 100; i++) {
    spend = await admin('GET', `/admin/keys/${k.id}/spend`);
    if (spend.requests >= ok + 1) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(spend.requests, ok + 1, JSON.stringify(spend));
  assert.ok(spend.spent_usd <= 0.1, `spent ${spend.spent_usd}`);
});

test('a revoked key is refused', async () => {
  const k = await createKey({});
  await sdk(k.key).models.list();
  await admin('DELETE', `/admin/keys/${k.id}`);
  await assert.rejects(sdk(k.key).models.list(), OpenAI.AuthenticationError);
});

test('the admin API refuses a virtual key', async () => {
  const k = await createKey({});
  const res = await fetch(base() + '/admin/keys', { headers: { authorization: `Bearer ${k.key}` } });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error.code, 'admin_key_required');
});
