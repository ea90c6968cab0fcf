// Retrieval models and the native API as the official SDK sees them: the
// `sources` extension on an answer and on the stream's finish chunk (the
// SDK keeps fields it does not know), the SDK's stream helper still
// assembling the answer, and the native routes through the SDK's own
// generic request methods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { env, client } from './helpers.mjs';

const rag = () => client(env('OUTCROP_RAG_URL') + '/v1');
const native = () => client(env('OUTCROP_RAG_URL'));
const ask = { model: 'docs-demo', messages: [{ role: 'user', content: 'which moons does Mars have' }] };

test('a retrieval model answers with its sources', async () => {
  const res = await rag().chat.completions.create(ask);
  assert.equal(res.object, 'chat.completion');
  assert.match(res.choices[0].message.content, /system prompt of \d+ words/);
  assert.ok(Array.isArray(res.sources) && res.sources.length > 0, JSON.stringify(res));
  assert.match(res.sources[0].source, /space\.html$/);
  assert.equal(typeof res.sources[0].score, 'number');
  assert.match(res.sources[0].text, /Phobos/);
});

test('a streamed retrieval model puts the sources on the finish chunk', async () => {
  const stream = await rag().chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } });
  let text = '';
  const withSources = [];
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    if (chunk.sources) withSources.push(chunk);
  }
  assert.equal(withSources.length, 1);
  assert.equal(withSources[0].choices[0].finish_reason, 'stop');
  assert.match(withSources[0].sources[0].source, /space\.html$/);
  assert.match(text, /system prompt of/);
});

test('the SDK stream helper assembles a retrieval model answer', async () => {
  const final = await rag().chat.completions.stream(ask).finalChatCompletion();
  assert.match(final.choices[0].message.content, /Phobos|system prompt/);
});

test('/generate and /models through the SDK generic methods', async () => {
  const models = await native().get('/models');
  assert.deepEqual(models.vector_dbs, ['docs']);
  assert.ok(models.llm_models.includes('docs-demo'));
  const gen = await native().post('/generate', { body: { prompt: 'which moons does Mars have', vector_search_type: 'faiss' } });
  assert.match(gen.sources[0].source, /space\.html$/);
  assert.equal(typeof gen.response, 'string');
  await assert.rejects(native().post('/generate', { body: { prompt: 'x', vector_search_type: 'pinecone' } }), (err) => {
    assert.ok(err instanceof OpenAI.BadRequestError, `got ${err.constructor.name}`);
    assert.equal(err.code, 'store_not_found');
    assert.equal(err.param, 'vector_search_type');
    return true;
  });
});
