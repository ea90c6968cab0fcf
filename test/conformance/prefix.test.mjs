// The same API under /api/v1, for deployments behind a path prefix (as
// aws-samples/bedrock-access-gateway serves it).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import OpenAI from 'openai';

import { client, collect, DEMO_CHAT, DEMO_EMBED, env } from './helpers.mjs';

describe('the /api/v1 prefix', () => {
  const api = () => client(env('OUTCROP_DEMO_API_URL'));

  test('chat', async () => {
    const res = await api().chat.completions.create({ model: DEMO_CHAT, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.object, 'chat.completion');
    assert.ok(res.choices[0].message.content.length > 0);
  });

  test('chat stream', async () => {
    const chunks = await collect(
      await api().chat.completions.create({ model: DEMO_CHAT, messages: [{ role: 'user', content: 'hi' }], stream: true }),
    );
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
  });

  test('embeddings', async () => {
    const res = await api().embeddings.create({ model: DEMO_EMBED, input: 'prefix' });
    assert.ok(res.data[0].embedding.length > 0);
  });

  test('models', async () => {
    const m = await api().models.retrieve(DEMO_CHAT);
    assert.equal(m.id, DEMO_CHAT);
  });

  test('errors keep their type', async () => {
    await assert.rejects(
      api().chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
      (err) => err instanceof OpenAI.NotFoundError,
    );
  });
});
