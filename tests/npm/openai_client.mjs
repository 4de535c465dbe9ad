// Troupe's /v1 endpoint through the official `openai` package: the models list, a completion, a
// streamed completion with usage that matches it, tools accepted, and errors as the library sees
// them. Exits non-zero with a message on the first thing that is wrong.
import OpenAI from "openai";
import assert from "node:assert/strict";

const client = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY, maxRetries: 0 });
const model = process.env.TROUPE_MODEL_ID;
const messages = [{ role: "user", content: "Tell me a story about a cat." }];

const models = [];
for await (const item of client.models.list()) models.push(item.id);
assert.ok(models.includes(model), `models.list() has ${model}: ${models}`);
assert.equal((await client.models.retrieve(model)).id, model);

const completion = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 20 });
assert.equal(completion.object, "chat.completion");
assert.equal(completion.choices[0].message.role, "assistant");
const content = completion.choices[0].message.content;
assert.ok(content.length > 0, "the completion has content");
assert.equal(completion.usage.completion_tokens, 20);
assert.equal(completion.choices[0].finish_reason, "length");

const stream = await client.chat.completions.create({
  model, messages, temperature: 0, max_tokens: 20, stream: true, stream_options: { include_usage: true },
});
let streamed = "";
let usage = null;
let finish = null;
let chunks = 0;
for await (const chunk of stream) {
  chunks += 1;
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    streamed += choice.delta?.content ?? "";
    if (choice.finish_reason) finish = choice.finish_reason;
  }
}
assert.ok(chunks > 3, `several chunks (${chunks})`);
assert.equal(streamed, content, "the stream spells the same reply");
assert.equal(finish, "length");
assert.deepEqual(usage, completion.usage);

const withTools = await client.chat.completions.create({
  model, messages, max_tokens: 8,
  tools: [{ type: "function", function: { name: "get_weather", description: "Weather for a city",
                                           parameters: { type: "object", properties: { city: { type: "string" } } } } }],
});
assert.ok(["stop", "length", "tool_calls"].includes(withTools.choices[0].finish_reason));

await assert.rejects(client.chat.completions.create({ model: "no-such-character", messages }),
                     (error) => error instanceof OpenAI.NotFoundError && /does not exist/.test(error.message));
await assert.rejects(client.chat.completions.create({ model, messages, n: 3 }),
                     (error) => error instanceof OpenAI.BadRequestError && error.param === "n");
console.log(`openai ${OpenAI.VERSION ?? ""}: ${chunks} chunks, "${content.slice(0, 40)}..."`);
