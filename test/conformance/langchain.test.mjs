// LangChain's OpenAI integration, which many agents use, against the demo
// gateway: invoke, stream, tool binding and embeddings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';

import { DEMO_CHAT, DEMO_DIMENSIONS, DEMO_EMBED, env, weatherTool } from './helpers.mjs';

const configuration = () => ({ baseURL: env('OUTCROP_DEMO_URL') });
const apiKey = 'sk-conformance-langchain';

describe('langchain on demo', () => {
  const chat = () => new ChatOpenAI({ model: DEMO_CHAT, apiKey, configuration: configuration(), maxRetries: 0 });

  test('invoke', async () => {
    const msg = await chat().invoke('Say hello.');
    assert.equal(typeof msg.content, 'string');
    assert.ok(msg.content.length > 0);
    assert.ok(msg.usage_metadata?.total_tokens > 0, `usage ${JSON.stringify(msg.usage_metadata)}`);
  });

  test('stream', async () => {
    let text = '';
    let n = 0;
    for await (const chunk of await chat().stream('Say hello.')) {
      text += chunk.content;
      n++;
    }
    assert.ok(n > 1, `got ${n} chunks`);
    assert.ok(text.length > 0);
  });

  test('bindTools with a required tool call', async () => {
    const model = chat().bindTools([weatherTool], { tool_choice: 'required' });
    const msg = await model.invoke('What is the weather in Paris?');
    assert.equal(msg.tool_calls.length, 1);
    assert.equal(msg.tool_calls[0].name, 'get_weather');
    assert.equal(typeof msg.tool_calls[0].args.city, 'string');
  });

  test('embeddings', async () => {
    const emb = new OpenAIEmbeddings({ model: DEMO_EMBED, apiKey, configuration: configuration(), maxRetries: 0 });
    const [a, b] = await emb.embedDocuments(['first', 'second']);
    assert.equal(a.length, DEMO_DIMENSIONS);
    assert.equal(b.length, DEMO_DIMENSIONS);
    const q = await emb.embedQuery('first');
    assert.deepEqual(q, a);
  });
});
