// Legacy /v1/completions through the official SDK.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { client, collect, targets } from './helpers.mjs';

const prompt = 'Once upon a time';

for (const target of targets) {
  describe(`legacy completions on ${target.name}`, () => {
    test('non-streaming', async () => {
      const c = client(target.url());
      const res = await c.completions.create({ model: target.instruct, prompt, max_tokens: 16 });
      assert.equal(res.object, 'text_completion');
      assert.equal(typeof res.id, 'string');
      assert.equal(res.model, target.instruct);
      assert.equal(res.choices.length, 1);
      assert.equal(res.choices[0].index, 0);
      assert.equal(typeof res.choices[0].text, 'string');
      assert.ok(res.choices[0].text.length > 0, 'text is empty');
      assert.ok(['stop', 'length'].includes(res.choices[0].finish_reason), res.choices[0].finish_reason);
      assert.ok(res.usage.prompt_tokens > 0);
      assert.equal(res.usage.total_tokens, res.usage.prompt_tokens + res.usage.completion_tokens);
    });

    test('streaming', async () => {
      const c = client(target.url());
      const chunks = await collect(await c.completions.create({ model: target.instruct, prompt, max_tokens: 16, stream: true }));
      assert.ok(chunks.length >= 1);
      for (const ch of chunks) {
        assert.equal(ch.object, 'text_completion');
        assert.equal(ch.id, chunks[0].id);
      }
      const text = chunks.map((ch) => ch.choices[0]?.text ?? '').join('');
      assert.ok(text.length > 0, 'streamed text is empty');
      const finish = chunks.map((ch) => ch.choices[0]?.finish_reason).filter((f) => f);
      assert.equal(finish.length, 1, `finish reasons ${JSON.stringify(finish)}`);
    });
  });
}
