// The model list and model retrieval through the official SDK.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import OpenAI from 'openai';

import { client, DEMO_CHAT, DEMO_EMBED, DEMO_OWNER, env, RELAY_CHAT, RELAY_ODD_ID } from './helpers.mjs';

/** Lists every model with the SDK's auto-pagination. */
async function listAll(c) {
  const models = [];
  for await (const m of c.models.list()) {
    models.push(m);
  }
  return models;
}

describe('models on demo', () => {
  test('list includes the demo models, owned by outcrop-demo', async () => {
    const models = await listAll(client(env('OUTCROP_DEMO_URL')));
    const ids = models.map((m) => m.id);
    assert.ok(ids.includes(DEMO_CHAT), `ids ${ids}`);
    assert.ok(ids.includes(DEMO_EMBED), `ids ${ids}`);
    for (const m of models) {
      assert.equal(m.object, 'model');
      assert.equal(typeof m.created, 'number');
      assert.equal(m.owned_by, DEMO_OWNER);
    }
  });

  test('the list page has object "list"', async () => {
    const page = await client(env('OUTCROP_DEMO_URL')).models.list();
    assert.ok(page.data.length >= 2);
    assert.equal(page.hasNextPage(), false);
  });

  test('retrieve', async () => {
    const m = await client(env('OUTCROP_DEMO_URL')).models.retrieve(DEMO_CHAT);
    assert.equal(m.id, DEMO_CHAT);
    assert.equal(m.object, 'model');
    assert.equal(m.owned_by, DEMO_OWNER);
  });

  test('retrieve an unknown model is NotFoundError', async () => {
    await assert.rejects(client(env('OUTCROP_DEMO_URL')).models.retrieve('no-such-model'), (err) => {
      assert.ok(err instanceof OpenAI.NotFoundError, `got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.status, 404);
      return true;
    });
  });
});

describe('models on relay', () => {
  test('list shows the configured public names', async () => {
    const ids = (await listAll(client(env('OUTCROP_RELAY_URL')))).map((m) => m.id);
    assert.ok(ids.includes(RELAY_CHAT), `ids ${ids}`);
    assert.ok(ids.includes(RELAY_ODD_ID), `ids ${ids}`);
    assert.ok(!ids.includes(DEMO_CHAT), 'demo models are not served once models are configured');
  });

  test(`retrieve an ID with ':' and '/' (${RELAY_ODD_ID})`, async () => {
    const m = await client(env('OUTCROP_RELAY_URL')).models.retrieve(RELAY_ODD_ID);
    assert.equal(m.id, RELAY_ODD_ID);
    assert.equal(m.object, 'model');
  });

  test(`chat with the model ${RELAY_ODD_ID}`, async () => {
    const res = await client(env('OUTCROP_RELAY_URL')).chat.completions.create({
      model: RELAY_ODD_ID,
      messages: [{ role: 'user', content: 'hi' }],
    });
    // Which name comes back in `model` (the public one or the upstream's,
    // as OpenAI answers with a dated snapshot name) is the gateway's
    // choice; it must be a name.
    assert.equal(typeof res.model, 'string');
    assert.ok(res.model.length > 0);
    assert.ok(res.choices[0].message.content.length > 0);
  });
});
