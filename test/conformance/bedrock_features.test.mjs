// The OpenAI surface on Bedrock through the official SDK and LangChain:
// tool loops, streamed parallel tool calls read by a strict parser,
// thinking with tools over several turns, images, structured output,
// embeddings on Titan and Cohere, and legacy completions. The emulator's
// answers come from scenario (scenario_test.go); each one was translated
// from Bedrock's wire format by the gateway.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { AIMessageChunk, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import OpenAI from 'openai';

import {
  BEDROCK_CHAT,
  BEDROCK_COHERE,
  BEDROCK_NO_VISION,
  BEDROCK_STRUCTURED,
  BEDROCK_THINKING,
  BEDROCK_TITAN,
  bedrockEcho,
  client,
  collect,
  decodeFloat32,
  env,
  strictToolCalls,
  weatherTool,
} from './helpers.mjs';

const bedrock = () => client(env('OUTCROP_BEDROCK_URL'));
const paris = [{ role: 'user', content: 'What is the weather in Paris?' }];
const parisAndLondon = [{ role: 'user', content: 'What is the weather in Paris and London?' }];

/** Returns an assert.rejects validator for an SDK error class. */
function isError(cls, check = () => {}) {
  return (err) => {
    assert.ok(err instanceof cls, `got ${err?.constructor?.name}: ${err}`);
    check(err);
    return true;
  };
}

describe('bedrock: tools', () => {
  test('a tool loop: the call, its result, the answer', async () => {
    const c = bedrock();
    const first = await c.chat.completions.create({ model: BEDROCK_CHAT, messages: paris, tools: [weatherTool] });
    const [choice] = first.choices;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, 'Let me check.');
    assert.equal(choice.message.tool_calls.length, 1);
    const [call] = choice.message.tool_calls;
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris', unit: 'celsius' });

    const second = await c.chat.completions.create({
      model: BEDROCK_CHAT,
      tools: [weatherTool],
      messages: [...paris, choice.message, { role: 'tool', tool_call_id: call.id, content: '18°C and sunny' }],
    });
    assert.equal(second.choices[0].finish_reason, 'stop');
    assert.equal(second.choices[0].message.content, 'Tool results: 18°C and sunny');
  });

  test("the SDK's runTools helper runs the loop to the final answer", async () => {
    const calls = [];
    const runner = bedrock().chat.completions.runTools({
      model: BEDROCK_CHAT,
      messages: paris,
      tools: [
        {
          type: 'function',
          function: {
            ...weatherTool.function,
            parse: JSON.parse,
            function: (args) => {
              calls.push(args);
              return `${args.city}: 18°C`;
            },
          },
        },
      ],
    });
    assert.equal(await runner.finalContent(), 'Tool results: Paris: 18°C');
    assert.deepEqual(calls, [{ city: 'Paris', unit: 'celsius' }]);
  });

  test('streamed parallel tool calls: dense 0-based indexes after a text block, for a strict parser', async () => {
    const chunks = await collect(
      await bedrock().chat.completions.create({
        model: BEDROCK_CHAT,
        messages: parisAndLondon,
        tools: [weatherTool],
        stream: true,
      }),
    );
    const got = strictToolCalls(chunks);
    assert.equal(got.content, 'Let me check.');
    assert.equal(got.finish, 'tool_calls');
    assert.deepEqual(
      got.calls.map((c) => [c.name, c.args]),
      [
        ['get_weather', { city: 'Paris', unit: 'celsius' }],
        ['get_weather', { city: 'London', unit: 'celsius' }],
      ],
    );
    assert.notEqual(got.calls[0].id, got.calls[1].id);
  });

  test("the SDK's stream helper assembles the parallel calls", async () => {
    const stream = bedrock().chat.completions.stream({
      model: BEDROCK_CHAT,
      messages: parisAndLondon,
      tools: [weatherTool],
    });
    const done = [];
    stream.on('tool_calls.function.arguments.done', (e) => done.push([e.index, e.parsed_arguments ?? JSON.parse(e.arguments)]));
    const final = await stream.finalChatCompletion();
    const calls = final.choices[0].message.tool_calls;
    assert.deepEqual(
      calls.map((c) => JSON.parse(c.function.arguments).city),
      ['Paris', 'London'],
    );
    assert.deepEqual(
      done.map(([i, a]) => [i, a.city]),
      [
        [0, 'Paris'],
        [1, 'London'],
      ],
    );
  });
});

describe('bedrock: thinking with tools, over several turns', () => {
  const ask = (c, messages, extra = {}) =>
    c.chat.completions.create({
      model: BEDROCK_THINKING,
      messages,
      tools: [weatherTool],
      reasoning_effort: 'low',
      ...extra,
    });

  test('reasoning_details sent back keep thinking on for the tool result', async () => {
    const c = bedrock();
    const first = await ask(c, paris);
    const msg = first.choices[0].message;
    assert.equal(msg.reasoning_content, 'Planning the answer to: What is the weather in Paris?');
    assert.equal(msg.reasoning_details.length, 1);
    const [detail] = msg.reasoning_details;
    assert.equal(detail.type, 'reasoning.text');
    assert.equal(detail.text, msg.reasoning_content);
    assert.ok(detail.signature.length > 0, 'no signature');
    assert.equal(msg.tool_calls.length, 1);

    // The assistant message goes back as the SDK returned it, extension
    // field included; Bedrock refuses the tool result unless the signed
    // reasoning leads the call again.
    const second = await ask(c, [
      ...paris,
      msg,
      { role: 'tool', tool_call_id: msg.tool_calls[0].id, content: '18°C' },
    ]);
    const answer = second.choices[0].message;
    assert.equal(answer.content, 'Tool results: 18°C');
    assert.equal(answer.reasoning_content, 'Planning the answer to the tool results.');
  });

  test('without reasoning_details the next turn still succeeds, without thinking', async () => {
    const c = bedrock();
    const msg = (await ask(c, paris)).choices[0].message;
    const { reasoning_details: _dropped, reasoning_content: _text, ...bare } = msg;
    const second = await ask(c, [...paris, bare, { role: 'tool', tool_call_id: msg.tool_calls[0].id, content: '18°C' }]);
    assert.equal(second.choices[0].message.content, 'Tool results: 18°C');
    assert.equal(second.choices[0].message.reasoning_content, undefined);
  });

  test('streamed: reasoning deltas, then reasoning_details on the finish chunk, which continue the loop', async () => {
    const c = bedrock();
    const chunks = await collect(await ask(c, paris, { stream: true }));
    const reasoning = chunks.map((ch) => ch.choices[0]?.delta.reasoning_content ?? '').join('');
    assert.equal(reasoning, 'Planning the answer to: What is the weather in Paris?');
    const finish = chunks.find((ch) => ch.choices[0]?.finish_reason);
    assert.equal(finish.choices[0].finish_reason, 'tool_calls');
    const details = finish.choices[0].delta.reasoning_details;
    assert.equal(details?.length, 1, `finish chunk ${JSON.stringify(finish)}`);
    const { calls, content } = strictToolCalls(chunks);
    assert.equal(calls.length, 1);

    const assistant = {
      role: 'assistant',
      content,
      reasoning_details: details,
      tool_calls: calls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } })),
    };
    const second = await ask(c, [...paris, assistant, { role: 'tool', tool_call_id: calls[0].id, content: '18°C' }]);
    assert.equal(second.choices[0].message.content, 'Tool results: 18°C');
    assert.ok(second.choices[0].message.reasoning_content, 'thinking was turned off');
  });
});

// A 1×1 PNG.
const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const imageMessage = (url) => [
  {
    role: 'user',
    content: [
      { type: 'text', text: 'What is in this picture?' },
      { type: 'image_url', image_url: { url } },
    ],
  },
];

describe('bedrock: images', () => {
  test('a data URI reaches Bedrock as an image block with its bytes', async () => {
    const res = await bedrock().chat.completions.create({
      model: BEDROCK_CHAT,
      messages: imageMessage(`data:image/png;base64,${png}`),
    });
    assert.equal(res.choices[0].message.content, `I see 1 image(s): png ${Buffer.from(png, 'base64').length} bytes`);
  });

  test('a model without vision is BadRequestError', async () => {
    await assert.rejects(
      bedrock().chat.completions.create({ model: BEDROCK_NO_VISION, messages: imageMessage(`data:image/png;base64,${png}`) }),
      isError(OpenAI.BadRequestError, (err) => assert.match(err.message, /image/i)),
    );
  });

  test('an http URL, with fetching off, is BadRequestError asking for a data URI', async () => {
    await assert.rejects(
      bedrock().chat.completions.create({ model: BEDROCK_CHAT, messages: imageMessage('https://images.example.com/a.png') }),
      isError(OpenAI.BadRequestError, (err) => {
        assert.match(err.message, /data URI/i);
        assert.equal(err.param, 'messages[0].content[1].image_url.url');
      }),
    );
  });
});

const person = {
  type: 'json_schema',
  json_schema: {
    name: 'person',
    strict: true,
    schema: {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' } },
      required: ['name', 'age'],
      additionalProperties: false,
    },
  },
};
const extract = [{ role: 'user', content: 'Extract the person: Ada is 36 years old.' }];

describe('bedrock: structured output', () => {
  for (const [how, model] of [
    ['native outputConfig (Claude Sonnet 4.5)', BEDROCK_STRUCTURED],
    ['the forced-tool fallback (Claude 3 Haiku)', BEDROCK_CHAT],
  ]) {
    test(`parse() returns the object, through ${how}`, async () => {
      const res = await bedrock().chat.completions.parse({ model, messages: extract, response_format: person });
      const [choice] = res.choices;
      assert.equal(choice.finish_reason, 'stop');
      assert.deepEqual(choice.message.parsed, { name: 'Ada', age: 42 });
      assert.deepEqual(choice.message.tool_calls ?? [], []);
    });
  }

  test('the fallback streams the JSON as content', async () => {
    const chunks = await collect(
      await bedrock().chat.completions.create({ model: BEDROCK_CHAT, messages: extract, response_format: person, stream: true }),
    );
    const { content, calls, finish } = strictToolCalls(chunks);
    assert.deepEqual(JSON.parse(content), { name: 'Ada', age: 42 });
    assert.equal(calls.length, 0);
    assert.equal(finish, 'stop');
  });
});

describe('bedrock: embeddings', () => {
  for (const model of [BEDROCK_TITAN, BEDROCK_COHERE]) {
    test(`${model}: float, base64 and the SDK default agree`, async () => {
      const c = bedrock();
      const input = ['first text', 'second text'];
      const float = await c.embeddings.create({ model, input, encoding_format: 'float' });
      assert.equal(float.object, 'list');
      assert.equal(float.model, model);
      assert.deepEqual(
        float.data.map((d) => [d.object, d.index, d.embedding.length]),
        [
          ['embedding', 0, 1024],
          ['embedding', 1, 1024],
        ],
      );
      assert.notDeepEqual(float.data[0].embedding, float.data[1].embedding);
      assert.ok(float.usage.prompt_tokens > 0, `usage ${JSON.stringify(float.usage)}`);
      assert.equal(float.usage.total_tokens, float.usage.prompt_tokens);

      // JSON floats are float32 values written at their shortest, so
      // they round to exactly the float32s that base64 carries.
      const float32 = float.data.map((d) => d.embedding.map(Math.fround));
      const b64 = await c.embeddings.create({ model, input, encoding_format: 'base64' });
      assert.equal(typeof b64.data[0].embedding, 'string');
      assert.deepEqual(
        b64.data.map((d) => decodeFloat32(d.embedding)),
        float32,
      );

      // Without encoding_format the SDK asks for base64 and decodes it.
      const auto = await c.embeddings.create({ model, input });
      assert.deepEqual(
        auto.data.map((d) => Array.from(d.embedding)),
        float32,
      );
    });
  }

  test('Titan v2 takes dimensions', async () => {
    const res = await bedrock().embeddings.create({ model: BEDROCK_TITAN, input: 'short', dimensions: 256, encoding_format: 'float' });
    assert.equal(res.data[0].embedding.length, 256);
  });

  test('Cohere takes input_type as an extension field', async () => {
    const res = await bedrock().embeddings.create({
      model: BEDROCK_COHERE,
      input: 'a query',
      input_type: 'search_query',
      encoding_format: 'float',
    });
    assert.equal(res.data[0].embedding.length, 1024);
  });
});

describe('bedrock: legacy completions', () => {
  const prompt = 'Say hello to Bedrock.';

  test('create: a text_completion of the prompt', async () => {
    const res = await bedrock().completions.create({ model: BEDROCK_CHAT, prompt });
    assert.equal(res.object, 'text_completion');
    assert.equal(res.model, BEDROCK_CHAT);
    assert.equal(res.choices[0].text, bedrockEcho(prompt));
    assert.equal(res.choices[0].finish_reason, 'stop');
    assert.ok(res.usage.completion_tokens > 0);
  });

  test('stream: text_completion chunks, a finish reason, then the end', async () => {
    const chunks = await collect(
      await bedrock().completions.create({ model: BEDROCK_CHAT, prompt, stream: true, max_tokens: 4 }),
    );
    assert.ok(chunks.length > 2, `got ${chunks.length} chunks`);
    for (const ch of chunks) {
      assert.equal(ch.object, 'text_completion');
      assert.equal(ch.model, BEDROCK_CHAT);
    }
    const text = chunks.map((ch) => ch.choices[0]?.text ?? '').join('');
    assert.equal(text, bedrockEcho(prompt).split(' ').slice(0, 4).join(' ') + ' ');
    const finishes = chunks.map((ch) => ch.choices[0]?.finish_reason).filter(Boolean);
    assert.deepEqual(finishes, ['length']);
  });
});

describe('langchain on bedrock', () => {
  const apiKey = 'sk-conformance-langchain';
  const configuration = () => ({ baseURL: env('OUTCROP_BEDROCK_URL') });
  const chat = () => new ChatOpenAI({ model: BEDROCK_CHAT, apiKey, configuration: configuration(), maxRetries: 0 });

  test('bindTools: a tool loop to the answer', async () => {
    const model = chat().bindTools([weatherTool]);
    const question = new HumanMessage('What is the weather in Paris?');
    const call = await model.invoke([question]);
    assert.equal(call.tool_calls.length, 1);
    assert.equal(call.tool_calls[0].name, 'get_weather');
    assert.deepEqual(call.tool_calls[0].args, { city: 'Paris', unit: 'celsius' });
    const answer = await model.invoke([
      question,
      call,
      new ToolMessage({ tool_call_id: call.tool_calls[0].id, content: '18°C and sunny' }),
    ]);
    assert.equal(answer.content, 'Tool results: 18°C and sunny');
  });

  test('stream: parallel tool call chunks concatenate to two calls', async () => {
    const model = chat().bindTools([weatherTool]);
    let full;
    for await (const chunk of await model.stream('What is the weather in Paris and London?')) {
      assert.ok(chunk instanceof AIMessageChunk);
      full = full ? full.concat(chunk) : chunk;
    }
    assert.deepEqual(
      full.tool_calls.map((t) => [t.name, t.args.city]),
      [
        ['get_weather', 'Paris'],
        ['get_weather', 'London'],
      ],
    );
  });

  test('embeddings on Titan', async () => {
    const emb = new OpenAIEmbeddings({ model: BEDROCK_TITAN, apiKey, configuration: configuration(), maxRetries: 0 });
    const [a, b] = await emb.embedDocuments(['first', 'second']);
    assert.equal(a.length, 1024);
    assert.equal(b.length, 1024);
    assert.deepEqual(await emb.embedQuery('first'), a);
  });
});
