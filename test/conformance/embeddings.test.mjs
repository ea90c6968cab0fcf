// Embeddings through the official SDK. The v6 SDK asks for base64 when the
// caller gives no encoding_format and decodes it itself, so the gateway's
// base64 must be little-endian float32, exactly as OpenAI sends it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { client, DEMO_DIMENSIONS, DEMO_EMBED, env, targets } from './helpers.mjs';

/** Checks an embedding is a finite vector of dim numbers. */
function assertVector(embedding, dim) {
  assert.ok(Array.isArray(embedding) || embedding instanceof Float32Array, `got ${typeof embedding}`);
  assert.equal(embedding.length, dim);
  for (const x of embedding) {
    assert.equal(typeof x, 'number');
    assert.ok(Number.isFinite(x), `not finite: ${x}`);
  }
  assert.ok(embedding.some((x) => x !== 0), 'all zeros');
}

for (const target of targets) {
  describe(`embeddings on ${target.name}`, () => {
    test('SDK default (base64 on the wire) decodes to numbers, one per input', async () => {
      const c = client(target.url());
      const res = await c.embeddings.create({ model: target.embed, input: ['first text', 'second text'] });
      assert.equal(res.object, 'list');
      assert.equal(res.model, target.embed);
      assert.equal(res.data.length, 2);
      res.data.forEach((d, i) => {
        assert.equal(d.object, 'embedding');
        assert.equal(d.index, i);
      });
      const dim = res.data[0].embedding.length;
      assert.ok(dim > 0);
      res.data.forEach((d) => assertVector(d.embedding, dim));
      assert.ok(res.usage.prompt_tokens > 0);
      assert.equal(res.usage.total_tokens, res.usage.prompt_tokens);
    });

    test('explicit float equals the decoded base64', async () => {
      const c = client(target.url());
      const input = 'the same text twice';
      const asFloat = await c.embeddings.create({ model: target.embed, input, encoding_format: 'float' });
      const asDefault = await c.embeddings.create({ model: target.embed, input });
      const f = asFloat.data[0].embedding;
      assert.ok(Array.isArray(f), 'float embedding is a JSON array');
      const d = Array.from(asDefault.data[0].embedding);
      assert.equal(d.length, f.length);
      // base64 carries float32; the float form may carry more digits.
      f.forEach((x, i) => assert.ok(Math.abs(x - d[i]) < 1e-6, `element ${i}: ${x} vs ${d[i]}`));
    });

    test('explicit base64 is a string of 4 bytes per dimension', async () => {
      const c = client(target.url());
      const asFloat = await c.embeddings.create({ model: target.embed, input: 'bytes', encoding_format: 'float' });
      const res = await c.embeddings.create({ model: target.embed, input: 'bytes', encoding_format: 'base64' });
      const b64 = res.data[0].embedding;
      assert.equal(typeof b64, 'string');
      const buf = Buffer.from(b64, 'base64');
      assert.equal(buf.length, 4 * asFloat.data[0].embedding.length);
    });

    test('dimensions shortens the vector', async () => {
      const c = client(target.url());
      const res = await c.embeddings.create({ model: target.embed, input: 'short vector', dimensions: 64 });
      assertVector(res.data[0].embedding, 64);
    });
  });
}

describe('embeddings on demo', () => {
  test(`demo-embed has ${DEMO_DIMENSIONS} dimensions by default and is deterministic`, async () => {
    const c = client(env('OUTCROP_DEMO_URL'));
    const a = await c.embeddings.create({ model: DEMO_EMBED, input: 'deterministic' });
    const b = await c.embeddings.create({ model: DEMO_EMBED, input: 'deterministic' });
    assertVector(a.data[0].embedding, DEMO_DIMENSIONS);
    assert.deepEqual(Array.from(a.data[0].embedding), Array.from(b.data[0].embedding));
  });
});
