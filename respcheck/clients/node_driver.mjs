// The openai npm SDK as a client verdict: each line on stdin is one replay (a
// recorded answer), handed to the SDK's own call through a fetch that answers
// with those bytes; each line on stdout is what a user of the SDK would see.
//
//     node node_driver.mjs CACHE_DIR      (CACHE_DIR/node_modules/openai installed)
//
// First line out: {"ready": true, "version": ..., "node": ...}. Then one
// answer per request line, {"id": <the request's id>, "raised": ..., "values": ...}.
// Nothing a replay holds may end this process: every failure becomes an answer.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const MESSAGE_LIMIT = 500;            // characters of one raised message
const VIEW_LIMIT = 8 * 1024 * 1024;   // bytes of one answer line
const CHUNK = 16 * 1024;              // the SDK reads the body in pieces, as from a socket
// Statuses whose Response may carry no body (the fetch standard's null-body statuses).
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
// Test hooks (a replay that never answers, a driver that dies) exist only when asked for.
const HOOKS = process.env.RESPCHECK_NODE_DRIVER_HOOKS === '1';

const packageDir = join(process.argv[2] ?? '.', 'node_modules', 'openai');
const version = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
const sdk = await import(pathToFileURL(join(packageDir, 'index.mjs')).href);
const OpenAI = sdk.OpenAI ?? sdk.default;
const { APIError } = sdk;

class DriverError extends Error {}
DriverError.prototype.name = 'DriverError';

function oneLine(text) {
  const flat = String(text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > MESSAGE_LIMIT ? flat.slice(0, MESSAGE_LIMIT) + '…' : flat;
}

// The SDK mostly throws Errors; its stream helper rejects with an `error` event's
// own object, whose type is then "Object" (the SDK's view, recorded as it is).
function describe(error) {
  const isObject = error !== null && typeof error === 'object';
  const status = isObject && Number.isInteger(error.status) ? error.status : null;
  const isApiError = APIError !== undefined && error instanceof APIError;
  let code = isApiError ? (error.code ?? null) : null;
  if (code !== null && typeof code !== 'string' && typeof code !== 'number') code = oneLine(JSON.stringify(code));
  return {
    type: isObject ? (error.constructor?.name || error.name || 'Error') : typeof error,
    message: oneLine(isObject ? error.message : error),
    status,
    api_error: isApiError && status !== null,
    code,
  };
}

// The answer's bytes as a network body: handed out chunk by chunk on demand.
function bodyStream(bytes) {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.subarray(offset, offset + CHUNK));
      offset += CHUNK;
    },
  }, { highWaterMark: 0 });
}

function replayFetch(replay, bytes) {
  const status = replay.status;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new DriverError(`status ${JSON.stringify(status)} cannot be replayed (a Response takes 200-599)`);
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(replay.headers ?? {})) {
    try {
      headers.append(name, String(value));
    } catch {
      // A header the Headers class refuses (bad name or value) never reached a user either.
    }
  }
  return async () => new Response(NULL_BODY.has(status) ? null : bodyStream(bytes), { status, headers });
}

function usageOf(usage, names) {
  if (usage === null || typeof usage !== 'object') return null;
  return Object.fromEntries(names.map((name) => [name, usage[name] ?? null]));
}

// The JSON a user would parse from the text when the request asked for JSON output.
function parsedOf(values, format) {
  values.parsed = null;
  if (format !== 'json_schema' && format !== 'json_object') return;
  const text = values.output_text ?? values.chat_content;
  if (typeof text !== 'string') {
    values.parse_error = 'no text to parse';
    return;
  }
  try {
    values.parsed = JSON.parse(text);
  } catch (error) {
    values.parse_error = oneLine(`${error.constructor?.name ?? 'Error'}: ${error.message}`);
  }
}

function responseValues(response, request) {
  const output = Array.isArray(response?.output) ? response.output : [];
  const values = {
    id: response?.id ?? null,
    status: response?.status ?? null,
    output_text: response?.output_text ?? null,
    function_calls: output.filter((item) => item?.type === 'function_call').map((item) => ({
      name: item.name ?? null, arguments: item.arguments ?? null, call_id: item.call_id ?? null,
    })),
    usage: usageOf(response?.usage, ['input_tokens', 'output_tokens', 'total_tokens']),
  };
  parsedOf(values, request?.text?.format?.type);
  return values;
}

function chatValues(completion, request) {
  const choice = Array.isArray(completion?.choices) ? completion.choices[0] : undefined;
  const calls = Array.isArray(choice?.message?.tool_calls) ? choice.message.tool_calls : [];
  const values = {
    id: completion?.id ?? null,
    chat_content: choice?.message?.content ?? null,
    chat_tool_calls: calls.map((call) => ({
      name: call?.function?.name ?? null, arguments: call?.function?.arguments ?? null, id: call?.id ?? null,
    })),
    chat_usage: usageOf(completion?.usage, ['prompt_tokens', 'completion_tokens', 'total_tokens']),
    finish_reason: choice?.finish_reason ?? null,
  };
  parsedOf(values, request?.response_format?.type);
  return values;
}

// A streaming helper sends stream: true itself; a plain create must not.
function plainBody(request) {
  const body = { ...(request ?? {}) };
  delete body.stream;
  return body;
}

const OPERATIONS = {
  'responses.create': async (client, request) =>
    responseValues(await client.responses.create(plainBody(request)), request),
  'responses.stream': async (client, request) =>
    responseValues(await client.responses.stream(plainBody(request)).finalResponse(), request),
  'chat.completions.create': async (client, request) =>
    chatValues(await client.chat.completions.create(plainBody(request)), request),
  'chat.completions.stream': async (client, request) =>
    chatValues(await client.chat.completions.stream(plainBody(request)).finalChatCompletion(), request),
  'models.list': async (client) => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model?.id ?? null);
    return { model_ids: ids };
  },
};

// The stored-state calls: ids from the replay's path parameters, list options from its query.
function idOf(replay, name) {
  const id = replay.params?.[name];
  if (typeof id !== 'string' || id === '') throw new DriverError(`params.${name} is not a string`);
  return id;
}

function optionsOf(replay, ...names) {
  const query = replay.query ?? {};
  const options = {};
  for (const name of names) if (Object.hasOwn(query, name)) options[name] = query[name];
  if (typeof options.include === 'string') options.include = [options.include];
  return options;
}

// One page as a user reads it (no auto-paging: the next page is another answer).
function pageValues(page) {
  const data = Array.isArray(page?.data) ? page.data : [];
  return { item_ids: data.map((item) => item?.id ?? null), has_more: page?.has_more ?? null };
}

function conversationValues(conversation) {
  return { id: conversation?.id ?? null, metadata: conversation?.metadata ?? null };
}

const STATE_OPERATIONS = {
  'responses.retrieve': async (client, request, replay) => responseValues(
    await client.responses.retrieve(idOf(replay, 'response_id'), optionsOf(replay, 'include')), request),
  'responses.delete': async (client, request, replay) => {
    await client.responses.delete(idOf(replay, 'response_id'));
    return {};  // the SDK returns nothing: that it did not throw is the view
  },
  'responses.cancel': async (client, request, replay) => {
    const values = responseValues(await client.responses.cancel(idOf(replay, 'response_id')), request);
    delete values.output_text;  // this SDK adds its output_text convenience on create and retrieve only
    return values;
  },
  'responses.input_items.list': async (client, request, replay) => pageValues(await client.responses.inputItems.list(
    idOf(replay, 'response_id'), optionsOf(replay, 'after', 'limit', 'order', 'include'))),
  'responses.input_tokens.count': async (client, request) => {
    const counted = await client.responses.inputTokens.count(request ?? {});
    return { input_tokens: counted?.input_tokens ?? null };
  },
  'responses.compact': async (client, request) => {
    const compacted = await client.responses.compact(request ?? {});
    const output = Array.isArray(compacted?.output) ? compacted.output : [];
    return { id: compacted?.id ?? null, output_types: output.map((item) => item?.type ?? null) };
  },
  'conversations.create': async (client, request) =>
    conversationValues(await client.conversations.create(request ?? {})),
  'conversations.retrieve': async (client, request, replay) =>
    conversationValues(await client.conversations.retrieve(idOf(replay, 'conversation_id'))),
  'conversations.update': async (client, request, replay) =>
    conversationValues(await client.conversations.update(idOf(replay, 'conversation_id'), request ?? {})),
  'conversations.delete': async (client, request, replay) => {
    const deleted = await client.conversations.delete(idOf(replay, 'conversation_id'));
    return { id: deleted?.id ?? null, deleted: deleted?.deleted ?? null };
  },
  'conversations.items.list': async (client, request, replay) => pageValues(await client.conversations.items.list(
    idOf(replay, 'conversation_id'), optionsOf(replay, 'after', 'limit', 'order', 'include'))),
  'conversations.items.create': async (client, request, replay) =>
    pageValues(await client.conversations.items.create(idOf(replay, 'conversation_id'), request ?? {})),
};
Object.assign(OPERATIONS, STATE_OPERATIONS);

function checkReplay(replay) {
  if (replay === null || typeof replay !== 'object' || Array.isArray(replay)) {
    throw new DriverError('a replay is a JSON object');
  }
  if (!Object.hasOwn(OPERATIONS, replay.operation)) {
    throw new DriverError(`unknown operation ${oneLine(JSON.stringify(replay.operation))}`);
  }
  if (typeof replay.body_b64 !== 'string') throw new DriverError('body_b64 is not a string');
  for (const name of ['params', 'query']) {
    if (replay[name] !== undefined && (replay[name] === null || typeof replay[name] !== 'object'
                                       || Array.isArray(replay[name]))) {
      throw new DriverError(`${name} is not an object`);
    }
  }
  if (replay.headers !== undefined && (typeof replay.headers !== 'object' || Array.isArray(replay.headers))) {
    throw new DriverError('headers is not an object');
  }
  if (replay.request !== null && replay.request !== undefined
      && (typeof replay.request !== 'object' || Array.isArray(replay.request))) {
    throw new DriverError('request is neither an object nor null');
  }
}

async function run(replay) {
  checkReplay(replay);
  const bytes = Buffer.from(replay.body_b64, 'base64');
  const client = new OpenAI({
    apiKey: 'respcheck', baseURL: 'http://respcheck.invalid/v1', maxRetries: 0, fetch: replayFetch(replay, bytes),
  });
  return OPERATIONS[replay.operation](client, replay.request ?? null, replay);
}

function send(answer) {
  let line = JSON.stringify(answer);
  if (Buffer.byteLength(line) > VIEW_LIMIT) {
    line = JSON.stringify({
      id: answer.id, values: {},
      raised: describe(new DriverError(`view too large (${Buffer.byteLength(line)} bytes, limit ${VIEW_LIMIT})`)),
    });
  }
  process.stdout.write(line + '\n');
}

async function answer(line) {
  let id = null;
  try {
    let replay;
    try {
      replay = JSON.parse(line);
    } catch (error) {
      throw new DriverError(`the line is not JSON: ${error.message}`);
    }
    if (replay !== null && typeof replay === 'object' && 'id' in replay) {
      id = replay.id;
      delete replay.id;
    }
    if (HOOKS && replay?.operation === 'test.hang') return;   // never answers
    if (HOOKS && replay?.operation === 'test.exit') process.exit(3);
    send({ id, raised: null, values: await run(replay) });
  } catch (error) {
    send({ id, raised: describe(error), values: {} });
  }
}

// Whatever escapes a replay (an SDK promise rejected with nobody listening) is
// logged, never fatal: the replay it came from has answered or will time out.
process.on('unhandledRejection', (error) => process.stderr.write(`unhandled: ${oneLine(error?.stack ?? error)}\n`));
process.on('uncaughtException', (error) => process.stderr.write(`uncaught: ${oneLine(error?.stack ?? error)}\n`));

// At the end of input the answers still being worked out are given before leaving.
let pending = 0;
let closed = false;
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  pending += 1;
  answer(line).finally(() => {
    pending -= 1;
    if (closed && pending === 0) process.exit(0);
  });
});
lines.on('close', () => {
  closed = true;
  if (pending === 0) process.exit(0);
});
process.stdout.write(JSON.stringify({ ready: true, version, node: process.version }) + '\n');
