// Chat completions through the official SDK, plain and streamed, against
// the demo and relay gateways.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { client, collect, targets } from './helpers.mjs';

const messages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Say hello to the conformance suite.' },
];

for (const target of targets) {
  describe(`chat on ${target.name}`, () => {
    test('non-streaming response has the typed fields', async () => {
      const c = client(target.url());
      const res = await c.chat.completions.create({ model: target.chat, messages });
      assert.equal(typeof res.id, 'string');
      assert.ok(res.id.length > 0, 'id is empty');
      assert.equal(res.object, 'chat.completion');
      assert.equal(typeof res.created, 'number');
      assert.equal(res.model, target.chat, 'model is the requested name');
      assert.equal(res.choices.length, 1);
      const [choice] = res.choices;
      assert.equal(choice.index, 0);
      assert.equal(choice.message.role, 'assistant');
      assert.equal(typeof choice.message.content, 'string');
      assert.ok(choice.message.content.length > 0, 'content is empty');
      assert.equal(choice.finish_reason, 'stop');
      assert.ok(res.usage, 'usage is missing');
      assert.ok(res.usage.prompt_tokens > 0, `prompt_tokens ${res.usage.prompt_tokens}`);
      assert.ok(res.usage.completion_tokens > 0, `completion_tokens ${res.usage.completion_tokens}`);
      assert.equal(res.usage.total_tokens, res.usage.prompt_tokens + res.usage.completion_tokens);
    });

    test('withResponse exposes the HTTP response and a request ID', async () => {
      const c = client(target.url());
      const { data, response } = await c.chat.completions.create({ model: target.chat, messages }).withResponse();
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type'), /^application\/json/);
      assert.equal(data.object, 'chat.completion');
    });

    test('for await over a stream: role first, content deltas, finish_reason, no usage', async () => {
      const c = client(target.url());
      const stream = await c.chat.completions.create({ model: target.chat, messages, stream: true });
      const chunks = await collect(stream);
      assert.ok(chunks.length >= 2, `got ${chunks.length} chunks`);
      for (const ch of chunks) {
        assert.equal(ch.object, 'chat.completion.chunk');
        assert.equal(ch.id, chunks[0].id, 'every chunk has the same id');
        assert.equal(ch.model, target.chat);
        assert.equal(ch.usage ?? null, null, 'usage without include_usage');
        assert.equal(ch.choices.length, 1);
      }
      assert.equal(chunks[0].choices[0].delta.role, 'assistant');
      const text = chunks.map((ch) => ch.choices[0].delta.content ?? '').join('');
      assert.ok(text.trim().length > 0, 'streamed text is empty');
      const last = chunks.at(-1);
      assert.equal(last.choices[0].finish_reason, 'stop');
      for (const ch of chunks.slice(0, -1)) {
        assert.equal(ch.choices[0].finish_reason, null, 'finish_reason before the last chunk');
      }
    });

    test('streamed text equals the non-streamed text', async () => {
      const c = client(target.url());
      const plain = await c.chat.completions.create({ model: target.chat, messages });
      const chunks = await collect(await c.chat.completions.create({ model: target.chat, messages, stream: true }));
      const text = chunks.map((ch) => ch.choices[0]?.delta.content ?? '').join('');
      assert.equal(text, plain.choices[0].message.content);
    });

    test('stream_options.include_usage adds a last chunk with usage and no choices', async () => {
      const c = client(target.url());
      const stream = await c.chat.completions.create({
        model: target.chat,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = await collect(stream);
      const last = chunks.at(-1);
      assert.deepEqual(last.choices, []);
      assert.ok(last.usage, 'last chunk has no usage');
      assert.ok(last.usage.prompt_tokens > 0);
      assert.ok(last.usage.completion_tokens > 0);
      assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
      for (const ch of chunks.slice(0, -1)) {
        assert.equal(ch.usage ?? null, null, 'usage before the last chunk');
      }
      assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
    });

    test('chat.completions.stream helper and finalChatCompletion', async () => {
      const c = client(target.url());
      const runner = c.chat.completions.stream({ model: target.chat, messages });
      let deltas = '';
      runner.on('content', (delta) => {
        deltas += delta;
      });
      const final = await runner.finalChatCompletion();
      assert.equal(final.choices[0].message.role, 'assistant');
      assert.equal(final.choices[0].finish_reason, 'stop');
      assert.ok(final.choices[0].message.content.length > 0);
      assert.equal(deltas, final.choices[0].message.content);
      assert.equal(await runner.finalContent(), final.choices[0].message.content);
    });

    test('a stream can be aborted by the client', async () => {
      const c = client(target.url());
      const stream = await c.chat.completions.create({ model: target.chat, messages, stream: true });
      let n = 0;
      for await (const _ of stream) {
        n++;
        break; // ends the request early; the gateway must cope
      }
      assert.equal(n, 1);
      // The gateway still answers afterwards.
      const res = await c.chat.completions.create({ model: target.chat, messages });
      assert.equal(res.object, 'chat.completion');
    });
  });
}
