// Shared setup for the conformance tests: clients for the gateways that
// conformance_test.go started, and the model names they serve.
import OpenAI from 'openai';

/** Reads a required environment variable set by conformance_test.go. */
export function env(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run these tests through go test (see conformance_test.go)`);
  }
  return v;
}

/**
 * Returns an official SDK client for baseURL. maxRetries is 0 so that an
 * error reaches the test as the gateway sent it, and at once.
 */
export function client(baseURL, options = {}) {
  return new OpenAI({ baseURL, apiKey: 'sk-conformance-client', maxRetries: 0, timeout: 30_000, ...options });
}

// The built-in demo upstream's models (internal/provider/demo).
export const DEMO_CHAT = 'demo-chat';
export const DEMO_EMBED = 'demo-embed';
export const DEMO_OWNER = 'outcrop-demo';
export const DEMO_DIMENSIONS = 256;

// The relay gateway's models (relayConfig in conformance_test.go).
export const RELAY_CHAT = 'gpt-4o-mini';
export const RELAY_INSTRUCT = 'gpt-3.5-turbo-instruct';
export const RELAY_EMBED = 'text-embedding-3-small';
export const RELAY_ODD_ID = 'us.anthropic.claude-3:0/x';
export const RELAY_LIMITED = 'rate-limited';

// The bedrock gateway's models (bedrockConfig in conformance_test.go),
// served by the bedrocktest emulator.
export const BEDROCK_CHAT = 'anthropic.claude-3-haiku-20240307-v1:0';
export const BEDROCK_ALIAS = 'claude-haiku';
export const BEDROCK_PROFILE = 'us.anthropic.claude-3-7-sonnet-20250219-v1:0';
export const BEDROCK_APP_PROFILE_ARN =
  'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/k3n8x2p4q7wz';
export const BEDROCK_UNKNOWN = 'acme.unknown-model-v1:0';
export const BEDROCK_THROTTLED = 'bedrock-throttled';
export const BEDROCK_OWNER = 'bedrock';

/**
 * The emulator's canned answer to a last user message saying text
 * (bedrocktest.EchoAnswer).
 */
export function bedrockEcho(text) {
  return `Hello from the Bedrock emulator. You said: ${text}`;
}

/**
 * The gateways under test, each with the models to use on it, so that a
 * test written once runs against both.
 */
export const targets = [
  { name: 'demo', url: () => env('OUTCROP_DEMO_URL'), chat: DEMO_CHAT, embed: DEMO_EMBED, instruct: DEMO_CHAT },
  { name: 'relay', url: () => env('OUTCROP_RELAY_URL'), chat: RELAY_CHAT, embed: RELAY_EMBED, instruct: RELAY_INSTRUCT },
];

/** A function tool the tests offer. */
export const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', description: 'City name' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['city'],
    },
  },
};

/** Collects every chunk of an SDK stream. */
export async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
  }
  return chunks;
}

// The bedrock gateway's models for the feature tests
// (bedrock_features.test.mjs; scenario in scenario_test.go answers them).
export const BEDROCK_STRUCTURED = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
export const BEDROCK_THINKING = BEDROCK_PROFILE;
export const BEDROCK_NO_VISION = 'amazon.nova-micro-v1:0';
export const BEDROCK_TITAN = 'amazon.titan-embed-text-v2:0';
export const BEDROCK_COHERE = 'cohere.embed-english-v3';

/**
 * Assembles the streamed tool calls of choice 0 like a strict client:
 * fails unless the first chunk carries the role, every tool call's index
 * is dense and 0-based in order of appearance, its first delta carries
 * id, type and name and later ones none of them, and each call's
 * arguments concatenate to JSON. Returns { content, calls, finish }.
 */
export function strictToolCalls(chunks) {
  const calls = [];
  let content = '';
  let finish = null;
  const first = chunks.find((c) => c.choices.length > 0);
  if (first?.choices[0].delta.role !== 'assistant') {
    throw new Error(`first chunk has no assistant role: ${JSON.stringify(first)}`);
  }
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      if (choice.index !== 0) throw new Error(`choice index ${choice.index}`);
      content += choice.delta.content ?? '';
      for (const tc of choice.delta.tool_calls ?? []) {
        if (!Number.isInteger(tc.index) || tc.index < 0 || tc.index > calls.length) {
          throw new Error(`tool call index ${tc.index} with ${calls.length} calls so far: ${JSON.stringify(tc)}`);
        }
        if (tc.index === calls.length) {
          if (typeof tc.id !== 'string' || !tc.id || tc.type !== 'function' || !tc.function?.name) {
            throw new Error(`first delta of tool call ${tc.index} lacks id, type or name: ${JSON.stringify(tc)}`);
          }
          calls.push({ id: tc.id, name: tc.function.name, arguments: tc.function.arguments ?? '' });
          continue;
        }
        if (tc.id !== undefined || tc.function?.name !== undefined) {
          throw new Error(`later delta of tool call ${tc.index} repeats id or name: ${JSON.stringify(tc)}`);
        }
        calls[tc.index].arguments += tc.function?.arguments ?? '';
      }
      if (choice.finish_reason) {
        if (finish) throw new Error(`second finish_reason ${choice.finish_reason}`);
        finish = choice.finish_reason;
      }
    }
  }
  for (const c of calls) c.args = JSON.parse(c.arguments);
  return { content, calls, finish };
}

/** Decodes a base64 embedding: little-endian float32s. */
export function decodeFloat32(b64) {
  const buf = Buffer.from(b64, 'base64');
  const out = [];
  for (let i = 0; i < buf.length; i += 4) out.push(buf.readFloatLE(i));
  return out;
}
