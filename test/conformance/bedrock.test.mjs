// The official SDK against Amazon Bedrock through the gateway: the bedrock
// gateway's upstreams are bedrocktest emulators speaking Bedrock's real
// wire protocol (Converse, event streams, SigV4), so every answer here was
// translated from Bedrock's shapes to OpenAI's.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import OpenAI from 'openai';

import {
  BEDROCK_ALIAS,
  BEDROCK_APP_PROFILE_ARN,
  BEDROCK_CHAT,
  BEDROCK_OWNER,
  BEDROCK_PROFILE,
  BEDROCK_THROTTLED,
  BEDROCK_UNKNOWN,
  bedrockEcho,
  client,
  collect,
  env,
} from './helpers.mjs';

const system = 'You are terse.';
const text = 'Say hello to Bedrock.';
const messages = [
  { role: 'system', content: system },
  { role: 'user', content: text },
];
const answer = bedrockEcho(text);

/** The emulator counts a token per word. */
const words = (s) => s.split(/\s+/).filter(Boolean).length;

const bedrock = () => client(env('OUTCROP_BEDROCK_URL'));

/** Returns an assert.rejects validator for an SDK error class. */
function isError(cls, check = () => {}) {
  return (err) => {
    assert.ok(err instanceof cls, `got ${err?.constructor?.name}: ${err}`);
    check(err);
    return true;
  };
}

describe('bedrock: chat', () => {
  test('create returns an OpenAI chat completion of the Bedrock answer', async () => {
    const res = await bedrock().chat.completions.create({ model: BEDROCK_CHAT, messages });
    assert.match(res.id, /^chatcmpl-/);
    assert.equal(res.object, 'chat.completion');
    assert.equal(typeof res.created, 'number');
    assert.equal(res.model, BEDROCK_CHAT);
    assert.equal(res.choices.length, 1);
    const [choice] = res.choices;
    assert.equal(choice.index, 0);
    assert.equal(choice.message.role, 'assistant');
    assert.equal(choice.message.content, answer);
    assert.equal(choice.finish_reason, 'stop');
    assert.equal(res.usage.prompt_tokens, words(system) + words(text));
    assert.equal(res.usage.completion_tokens, words(answer));
    assert.equal(res.usage.total_tokens, res.usage.prompt_tokens + res.usage.completion_tokens);
  });

  test('withResponse shows Bedrock request ID next to the gateway one', async () => {
    const { data, response } = await bedrock().chat.completions.create({ model: BEDROCK_CHAT, messages }).withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.match(response.headers.get('x-upstream-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.notEqual(response.headers.get('x-request-id'), response.headers.get('x-upstream-request-id'));
  });

  for (const model of [BEDROCK_ALIAS, BEDROCK_PROFILE, BEDROCK_APP_PROFILE_ARN]) {
    test(`the answer names the model asked for: ${model}`, async () => {
      const res = await bedrock().chat.completions.create({ model, messages });
      assert.equal(res.model, model);
      assert.equal(res.choices[0].message.content, answer);
    });
  }

  test('max_tokens cuts the answer with finish_reason length', async () => {
    const res = await bedrock().chat.completions.create({ model: BEDROCK_CHAT, messages, max_tokens: 3 });
    assert.equal(res.choices[0].message.content, 'Hello from the ');
    assert.equal(res.choices[0].finish_reason, 'length');
    assert.equal(res.usage.completion_tokens, 3);
  });

  test('a stop sequence ends the answer with finish_reason stop', async () => {
    const res = await bedrock().chat.completions.create({ model: BEDROCK_CHAT, messages, stop: ['emulator'] });
    assert.equal(res.choices[0].message.content, 'Hello from the Bedrock ');
    assert.equal(res.choices[0].finish_reason, 'stop');
  });
});

describe('bedrock: streaming', () => {
  test('for await: role chunk, content deltas, finish chunk, no usage', async () => {
    const chunks = await collect(
      await bedrock().chat.completions.create({ model: BEDROCK_ALIAS, messages, stream: true }),
    );
    assert.ok(chunks.length >= 3, `got ${chunks.length} chunks`);
    for (const ch of chunks) {
      assert.equal(ch.object, 'chat.completion.chunk');
      assert.equal(ch.id, chunks[0].id);
      assert.equal(ch.model, BEDROCK_ALIAS);
      assert.equal(ch.usage ?? null, null);
      assert.equal(ch.choices.length, 1);
    }
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '', refusal: null });
    assert.equal(chunks.map((ch) => ch.choices[0].delta.content ?? '').join(''), answer);
    const last = chunks.at(-1);
    assert.deepEqual(last.choices[0].delta, {});
    assert.equal(last.choices[0].finish_reason, 'stop');
    for (const ch of chunks.slice(0, -1)) {
      assert.equal(ch.choices[0].finish_reason, null);
    }
  });

  test('include_usage adds a last chunk with usage and no choices', async () => {
    const chunks = await collect(
      await bedrock().chat.completions.create({
        model: BEDROCK_CHAT,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage.prompt_tokens, words(system) + words(text));
    assert.equal(last.usage.completion_tokens, words(answer));
    assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
  });

  test('the .stream() helper: content events and finalChatCompletion', async () => {
    const stream = bedrock().chat.completions.stream({ model: BEDROCK_PROFILE, messages });
    let streamed = '';
    stream.on('content', (delta) => {
      streamed += delta;
    });
    const final = await stream.finalChatCompletion();
    assert.equal(streamed, answer);
    assert.equal(final.model, BEDROCK_PROFILE);
    assert.equal(final.choices[0].message.role, 'assistant');
    assert.equal(final.choices[0].message.content, answer);
    assert.equal(final.choices[0].finish_reason, 'stop');
    assert.equal(await stream.finalContent(), answer);
  });

  test('streamed text equals the non-streamed text', async () => {
    const c = bedrock();
    const plain = await c.chat.completions.create({ model: BEDROCK_CHAT, messages });
    const chunks = await collect(await c.chat.completions.create({ model: BEDROCK_CHAT, messages, stream: true }));
    assert.equal(chunks.map((ch) => ch.choices[0]?.delta.content ?? '').join(''), plain.choices[0].message.content);
  });
});

describe('bedrock: typed errors', () => {
  for (const stream of [false, true]) {
    test(`Bedrock throttling is RateLimitError with Retry-After (stream: ${stream})`, async () => {
      await assert.rejects(
        bedrock().chat.completions.create({ model: BEDROCK_THROTTLED, messages, stream }),
        isError(OpenAI.RateLimitError, (err) => {
          assert.equal(err.status, 429);
          assert.equal(err.code, 'rate_limit_exceeded');
          assert.equal(err.headers.get('retry-after'), '1');
          assert.match(err.headers.get('x-upstream-request-id') ?? '', /^[0-9a-f-]{36}$/);
          assert.match(err.message, /Too many requests/);
        }),
      );
    });
  }

  test('an unknown model is NotFoundError', async () => {
    await assert.rejects(
      bedrock().chat.completions.create({ model: 'no-such-model', messages }),
      isError(OpenAI.NotFoundError, (err) => assert.equal(err.code, 'model_not_found')),
    );
  });

  for (const stream of [false, true]) {
    test(`n=2 is BadRequestError naming n (stream: ${stream})`, async () => {
      await assert.rejects(
        bedrock().chat.completions.create({ model: BEDROCK_CHAT, messages, n: 2, stream }),
        isError(OpenAI.BadRequestError, (err) => {
          assert.equal(err.status, 400);
          assert.equal(err.param, 'n');
        }),
      );
    });
  }

  test("a model ID Bedrock refuses is BadRequestError with Bedrock's message", async () => {
    await assert.rejects(
      bedrock().chat.completions.create({ model: BEDROCK_UNKNOWN, messages }),
      isError(OpenAI.BadRequestError, (err) => {
        assert.equal(err.status, 400);
        assert.equal(err.type, 'invalid_request_error');
        assert.match(err.message, /The provided model identifier is invalid/);
      }),
    );
  });
});

describe('bedrock: models', () => {
  test('list shows the Bedrock models and aliases', async () => {
    const models = [];
    for await (const m of bedrock().models.list()) {
      models.push(m);
    }
    const owners = Object.fromEntries(models.map((m) => [m.id, m.owned_by]));
    for (const id of [BEDROCK_CHAT, BEDROCK_ALIAS, BEDROCK_PROFILE, BEDROCK_APP_PROFILE_ARN]) {
      assert.equal(owners[id], BEDROCK_OWNER, `${id} in ${JSON.stringify(owners)}`);
    }
  });

  test('retrieve an ARN (the SDK escapes its : and /)', async () => {
    const m = await bedrock().models.retrieve(BEDROCK_APP_PROFILE_ARN);
    assert.equal(m.id, BEDROCK_APP_PROFILE_ARN);
    assert.equal(m.owned_by, BEDROCK_OWNER);
  });
});

describe('bedrock: the /api/v1 prefix', () => {
  const api = () => client(env('OUTCROP_BEDROCK_API_URL'));

  test('chat', async () => {
    const res = await api().chat.completions.create({ model: BEDROCK_CHAT, messages });
    assert.equal(res.choices[0].message.content, answer);
  });

  test('chat stream', async () => {
    const chunks = await collect(await api().chat.completions.create({ model: BEDROCK_CHAT, messages, stream: true }));
    assert.equal(chunks.map((ch) => ch.choices[0].delta.content ?? '').join(''), answer);
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
  });

  test('models', async () => {
    const page = await api().models.list();
    assert.ok(page.data.some((m) => m.id === BEDROCK_CHAT));
  });
});
