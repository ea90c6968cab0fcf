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
