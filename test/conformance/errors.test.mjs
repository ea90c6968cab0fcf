// Typed SDK errors: the gateway's status codes and OpenAI error envelopes
// must turn into the SDK's error classes with status, code and headers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import OpenAI from 'openai';

import { client, DEMO_CHAT, env, RELAY_LIMITED, targets } from './helpers.mjs';

const messages = [{ role: 'user', content: 'hello' }];

/** Returns an assert.rejects validator for an SDK error class. */
function isError(cls, check = () => {}) {
  return (err) => {
    assert.ok(err instanceof cls, `got ${err?.constructor?.name}: ${err}`);
    check(err);
    return true;
  };
}

for (const target of targets) {
  describe(`errors on ${target.name}`, () => {
    test('unknown model is NotFoundError with code model_not_found', async () => {
      const c = client(target.url());
      await assert.rejects(
        c.chat.completions.create({ model: 'no-such-model', messages }),
        isError(OpenAI.NotFoundError, (err) => {
          assert.equal(err.status, 404);
          assert.equal(err.code, 'model_not_found');
          assert.equal(err.error?.code, 'model_not_found');
          assert.equal(typeof err.error?.message, 'string');
          assert.match(err.message, /no-such-model/);
        }),
      );
    });

    test('unknown model when streaming is NotFoundError before any chunk', async () => {
      const c = client(target.url());
      await assert.rejects(
        c.chat.completions.create({ model: 'no-such-model', messages, stream: true }),
        isError(OpenAI.NotFoundError, (err) => assert.equal(err.status, 404)),
      );
    });

    test('unknown embedding model is NotFoundError', async () => {
      const c = client(target.url());
      await assert.rejects(
        c.embeddings.create({ model: 'no-such-embedder', input: 'x' }),
        isError(OpenAI.NotFoundError, (err) => assert.equal(err.code, 'model_not_found')),
      );
    });

    test('empty messages is BadRequestError', async () => {
      const c = client(target.url());
      await assert.rejects(
        c.chat.completions.create({ model: target.chat, messages: [] }),
        isError(OpenAI.BadRequestError, (err) => {
          assert.equal(err.status, 400);
          assert.equal(typeof err.error?.message, 'string');
        }),
      );
    });

    test('temperature 5 is BadRequestError naming the parameter', async () => {
      const c = client(target.url());
      await assert.rejects(
        c.chat.completions.create({ model: target.chat, messages, temperature: 5 }),
        isError(OpenAI.BadRequestError, (err) => {
          assert.equal(err.status, 400);
          assert.equal(err.param, 'temperature');
        }),
      );
    });
  });
}

describe('errors on relay', () => {
  test('an upstream 429 is RateLimitError with its Retry-After', async () => {
    const c = client(env('OUTCROP_RELAY_URL'));
    await assert.rejects(
      c.chat.completions.create({ model: RELAY_LIMITED, messages }),
      isError(OpenAI.RateLimitError, (err) => {
        assert.equal(err.status, 429);
        assert.equal(err.headers.get('retry-after'), '7');
      }),
    );
  });

  test('an upstream 429 when streaming is RateLimitError before any chunk', async () => {
    const c = client(env('OUTCROP_RELAY_URL'));
    await assert.rejects(
      c.chat.completions.create({ model: RELAY_LIMITED, messages, stream: true }),
      isError(OpenAI.RateLimitError, (err) => assert.equal(err.status, 429)),
    );
  });
});

describe('connection errors', () => {
  test('a closed port is APIConnectionError', async () => {
    const c = client(env('OUTCROP_CLOSED_URL'));
    await assert.rejects(
      c.chat.completions.create({ model: DEMO_CHAT, messages }),
      isError(OpenAI.APIConnectionError, (err) => assert.equal(err.status, undefined)),
    );
  });
});
