/**
 * The outside judge (test/server/judge.ts): every images request the server receives is checked
 * against OpenAI's published schemas (vendored from openai/openai-openapi), with openai 7.59.0's
 * newer fields allowed by name; a violation is recorded and, when the server's own rules pass,
 * answered 400 `schema_violation`; the jest harness (test/judge-harness.ts) fails the sending test.
 */
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';

import { takeViolationsError } from './judge-harness';
import { startImageServer, type ImageServer } from './server';
import { judge } from './server/judge';

let server: ImageServer;
let client: OpenAI;
beforeAll(async () => {
	server = await startImageServer({ batchClock: 'manual', batchTiming: { validatingMs: 0, perLineMs: 0, finalizingMs: 0 } });
	client = new OpenAI({ apiKey: server.apiKey, baseURL: server.baseUrl, maxRetries: 0 });
});
afterAll(() => server.close());
beforeEach(() => {
	server.set({ schemaCheck: 'enforce' });
	server.reset();
});

const post = (body: unknown) =>
	fetch(`${server.baseUrl}/images/generations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` }, body: JSON.stringify(body) });

test('conforming requests pass, including fields newer than the spec (openai 7.59.0), by name', async () => {
	await client.images.generate({ model: 'gpt-image-2', prompt: 'a', size: '1536x1024', quality: 'low', n: 2, moderation: 'low', user: 'u' });
	for (const body of [
		{ model: 'gpt-image-2', prompt: 'b', size: '2048x1152', complexity: 'high', safety_identifier: 'sid' },
		{ model: 'gpt-image-2.6-flare', prompt: 'c', output_format: 'gif', frame_count: 3, frame_duration_ms: 120 },
		{ model: 'gpt-image-2.6-sunburst', prompt: 'd', output_format: 'svg', svg: { model: 'gpt-5', reasoning: { effort: 'xhigh' } } },
		{ model: 'gpt-image-2.5-flare', prompt: 'e', quality: 'max', n: null, background: null },
	]) {
		expect([body.prompt, (await post(body)).status]).toEqual([body.prompt, 200]);
	}
	const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } }).png().toBuffer();
	await client.images.edit({ model: 'gpt-image-2', prompt: 'f', image: [await toFile(png, 'a.png', { type: 'image/png' }), await toFile(png, 'b.png', { type: 'image/png' })] });
	expect(server.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
	expect(server.schemaViolations).toEqual([]);
});

test('a request the server itself would take but the schema refuses: 400 schema_violation, recorded', async () => {
	const res = await post({ model: 'my-private-model', prompt: 'x', colour: 'blue', n: 11 });
	const body = (await res.json()) as { error: { message: string; code: string; type: string } };
	expect([res.status, body.error.code, body.error.type]).toEqual([400, 'schema_violation', 'invalid_request_error']);
	expect(body.error.message).toBe(
		"The request does not match OpenAI's published schema CreateImageRequest (openai/openai-openapi f85dbe2 (2026-08-21)): (body) must NOT have additional property 'colour'; /n must be <= 10.",
	);
	expect(server.takeSchemaViolations()).toEqual([
		{ schema: 'CreateImageRequest', method: 'POST', path: '/v1/images/generations', origin: 'client', errors: ["(body) must NOT have additional property 'colour'", '/n must be <= 10'] },
	]);
});

test("schemaCheck 'record' answers as the server's own rules say and still records; 'off' does not judge", async () => {
	server.set({ schemaCheck: 'record' });
	expect((await post({ model: 'my-private-model', prompt: 'x', colour: 'blue' })).status).toBe(200);
	expect(server.takeSchemaViolations().map((v) => v.errors)).toEqual([["(body) must NOT have additional property 'colour'"]]);
	server.set({ schemaCheck: 'off' });
	expect((await post({ model: 'my-private-model', prompt: 'x', colour: 'blue' })).status).toBe(200);
	expect(server.schemaViolations).toEqual([]);
});

test('batch lines are judged too: the line fails with schema_violation, the violation names its custom_id', async () => {
	const lines = [
		{ custom_id: 'good', method: 'POST', url: '/v1/images/generations', body: { model: 'my-private-model', prompt: 'ok' } },
		{ custom_id: 'bad', method: 'POST', url: '/v1/images/generations', body: { model: 'my-private-model', prompt: 'no', n: '2' } },
	];
	const file = await client.files.create({ file: await toFile(Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n')), 'in.jsonl'), purpose: 'batch' });
	const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h' });
	await server.settleBatches();
	const done = await client.batches.retrieve(batch.id);
	expect(done.request_counts).toEqual({ total: 2, completed: 1, failed: 1 });
	const errorLine = JSON.parse((await (await client.files.content(done.error_file_id!)).text()).trim()) as { custom_id: string; response: { status_code: number; body: { error: { code: string } } } };
	expect([errorLine.custom_id, errorLine.response.status_code, errorLine.response.body.error.code]).toEqual(['bad', 400, 'schema_violation']);
	expect(server.takeSchemaViolations()).toEqual([expect.objectContaining({ origin: 'batch', customId: 'bad', errors: ['/n must be integer or null'] })]);
});

test('the harness turns leftover violations into the error that fails the test, once', async () => {
	await post({ prompt: 'x', model: 'gpt-image-2', size: 1024 });
	const error = takeViolationsError();
	expect(error?.message).toBe("The image server received 1 request(s) that break OpenAI's published schema:\n  POST /v1/images/generations (CreateImageRequest): /size must be string or null");
	expect(takeViolationsError()).toBeUndefined();
});

test("the vendored JSON edit schema keeps the spec's size list; the multipart one takes free sizes", () => {
	expect(judge('EditImageBodyJsonParam', { prompt: 'p', images: [{ file_id: 'file-1' }], size: '2048x1152' })).toEqual(['/size must be one of "auto", "1024x1024", "1536x1024", "1024x1536"']);
	expect(judge('CreateImageEditRequest', { prompt: 'p', image: '<binary>', size: '2048x1152' })).toEqual([]);
	expect(judge('EditImageBodyJsonParam', { prompt: 'p', images: [{ image_url: 'not a url' }] })).toEqual(['/images/0/image_url must match format "uri"']);
});
