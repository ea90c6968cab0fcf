// Tool calls through the official SDK: a forced call, its streamed deltas
// assembled by the SDK's stream helper, and the answer after a tool result.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { client, collect, targets, weatherTool } from './helpers.mjs';

const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];

/**
 * Checks one assembled tool call to get_weather. Its arguments must be a
 * JSON object; the demo fills in the schema's required fields, while the
 * emulator behind the relay sends fixed arguments.
 */
function assertWeatherCall(target, call) {
  assert.equal(call.type, 'function');
  assert.equal(typeof call.id, 'string');
  assert.ok(call.id.length > 0, 'tool call id is empty');
  assert.equal(call.function.name, 'get_weather');
  assertArguments(target, call.function.arguments);
}

function assertArguments(target, json) {
  const args = JSON.parse(json);
  assert.equal(typeof args, 'object', `arguments ${json}`);
  assert.ok(args !== null && !Array.isArray(args), `arguments ${json}`);
  if (target.name === 'demo') {
    assert.equal(typeof args.city, 'string', `arguments ${json}`);
  }
}

for (const target of targets) {
  describe(`tools on ${target.name}`, () => {
    test('tool_choice required answers with a tool call', async () => {
      const c = client(target.url());
      const res = await c.chat.completions.create({
        model: target.chat,
        messages,
        tools: [weatherTool],
        tool_choice: 'required',
      });
      const [choice] = res.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.role, 'assistant');
      assert.equal(choice.message.tool_calls.length, 1);
      assertWeatherCall(target, choice.message.tool_calls[0]);
    });

    test('a named tool_choice calls that function', async () => {
      const c = client(target.url());
      const res = await c.chat.completions.create({
        model: target.chat,
        messages,
        tools: [weatherTool],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      });
      assertWeatherCall(target, res.choices[0].message.tool_calls[0]);
    });

    test('streamed tool call deltas: index 0, id and name first, arguments concatenate', async () => {
      const c = client(target.url());
      const chunks = await collect(
        await c.chat.completions.create({
          model: target.chat,
          messages,
          tools: [weatherTool],
          tool_choice: 'required',
          stream: true,
        }),
      );
      const deltas = chunks.flatMap((ch) => ch.choices[0]?.delta.tool_calls ?? []);
      assert.ok(deltas.length >= 1, 'no tool call delta');
      assert.ok(deltas.every((d) => d.index === 0), 'one call, index 0');
      assert.ok(deltas[0].id, 'first delta has the id');
      assert.equal(deltas[0].function.name, 'get_weather');
      const args = deltas.map((d) => d.function?.arguments ?? '').join('');
      assertArguments(target, args);
      assert.equal(chunks.at(-1).choices[0].finish_reason, 'tool_calls');
    });

    test('the stream helper assembles the streamed tool call', async () => {
      const c = client(target.url());
      const runner = c.chat.completions.stream({
        model: target.chat,
        messages,
        tools: [weatherTool],
        tool_choice: 'required',
      });
      let done;
      runner.on('tool_calls.function.arguments.done', (ev) => {
        done = ev;
      });
      const final = await runner.finalChatCompletion();
      const [choice] = final.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.tool_calls.length, 1);
      assertWeatherCall(target, choice.message.tool_calls[0]);
      assert.ok(done, 'no tool_calls.function.arguments.done event');
      assert.equal(done.name, 'get_weather');
      assert.equal(done.arguments, choice.message.tool_calls[0].function.arguments);
    });

    test('after a tool result the answer is text', async () => {
      const c = client(target.url());
      const first = await c.chat.completions.create({
        model: target.chat,
        messages,
        tools: [weatherTool],
        tool_choice: 'required',
      });
      const call = first.choices[0].message.tool_calls[0];
      const res = await c.chat.completions.create({
        model: target.chat,
        tools: [weatherTool],
        messages: [
          ...messages,
          first.choices[0].message,
          { role: 'tool', tool_call_id: call.id, content: '{"temperature_c": 18, "sky": "clear"}' },
        ],
      });
      assert.equal(res.choices[0].finish_reason, 'stop');
      assert.equal(typeof res.choices[0].message.content, 'string');
      assert.ok(res.choices[0].message.content.length > 0);
    });
  });
}
