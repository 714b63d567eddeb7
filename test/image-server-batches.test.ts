/**
 * The image server's Batch API (test/server/batches.ts) with the openai SDK as the client, on the
 * server's clock (manual here: the test moves it with advanceClock; one test runs it scaled).
 */
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';

import { startImageServer, type ImageServer } from './server';
import { MAX_BATCH_FILE_BYTES, validateBatchInput } from './server/batches';
import { apiError } from './helpers/openai-client';

let server: ImageServer;
let client: OpenAI;
const SECOND = 1000;
const HOUR = 3600 * SECOND;

beforeAll(async () => {
	server = await startImageServer({ batchClock: 'manual' });
	client = new OpenAI({ apiKey: server.apiKey, baseURL: server.baseUrl, maxRetries: 0 });
});
afterAll(() => server.close());
beforeEach(() => {
	server.set({ batchClock: 'manual', batchTiming: undefined, batchSeed: undefined, batchStepPerPoll: undefined });
	server.reset();
});

type Line = { custom_id: string; method?: string; url?: string; body?: Record<string, unknown> };
const generation = (custom_id: string, prompt: string, extra: Record<string, unknown> = {}): Line => ({
	custom_id,
	method: 'POST',
	url: '/v1/images/generations',
	body: { model: 'gpt-image-2', prompt, size: '1024x1024', quality: 'low', ...extra },
});
const jsonl = (lines: Array<Line | string>) => lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n';

async function upload(lines: Array<Line | string>) {
	return await client.files.create({ file: await toFile(Buffer.from(jsonl(lines)), 'input.jsonl'), purpose: 'batch' });
}

async function batchOf(lines: Array<Line | string>, extra: Partial<OpenAI.Batches.BatchCreateParams> = {}, endpoint: '/v1/images/generations' | '/v1/images/edits' = '/v1/images/generations') {
	const file = await upload(lines);
	return await client.batches.create({ input_file_id: file.id, endpoint, completion_window: '24h', ...extra });
}

type OutputLine = { id: string; custom_id: string; response: { status_code: number; request_id: string; body: Record<string, unknown> } | null; error: { code: string; message: string } | null };
async function linesOf(fileId: string | null | undefined): Promise<OutputLine[]> {
	if (!fileId) return [];
	const text = await (await client.files.content(fileId)).text();
	return text
		.split('\n')
		.filter(Boolean)
		.map((line) => JSON.parse(line) as OutputLine);
}

describe('a batch from validating to completed', () => {
	test('statuses, progress counts, shuffled output, failed lines in the error file, usage', async () => {
		const ids = ['row-1', 'row-2', 'row-3', 'row-4', 'row-5', 'row-6'];
		const lines = [
			generation('row-1', 'a red boat'),
			generation('row-2', 'a green boat [status:500]'),
			generation('row-3', 'a blue boat', { size: '1536x1024' }),
			generation('row-4', 'a boat [moderation]'),
			generation('row-5', 'a yellow boat'),
			generation('row-6', 'a white boat'),
		];
		const created = await batchOf(lines, { metadata: { workflow: 'wf-1', execution: '42' } });
		expect(created).toMatchObject({
			id: expect.stringMatching(/^batch_/),
			object: 'batch',
			endpoint: '/v1/images/generations',
			status: 'validating',
			completion_window: '24h',
			expires_at: created.created_at + 24 * 3600,
			request_counts: { total: 0, completed: 0, failed: 0 },
			metadata: { workflow: 'wf-1', execution: '42' },
			output_file_id: null,
			error_file_id: null,
		});
		await server.advanceClock(2 * SECOND - 1);
		expect((await client.batches.retrieve(created.id)).status).toBe('validating');
		await server.advanceClock(1);
		expect(await client.batches.retrieve(created.id)).toMatchObject({ status: 'in_progress', in_progress_at: created.created_at + 2, model: 'gpt-image-2', request_counts: { total: 6, completed: 0, failed: 0 } });

		// 0.5 s per line: after 1.5 s three lines are done, whichever they are.
		await server.advanceClock(1500);
		const partway = await client.batches.retrieve(created.id);
		expect(partway.request_counts!.completed + partway.request_counts!.failed).toBe(3);
		expect(server.batches[0].done).toEqual(server.batches[0].order.slice(0, 3));

		await server.advanceClock(1500);
		expect(await client.batches.retrieve(created.id)).toMatchObject({ status: 'finalizing', request_counts: { total: 6, completed: 4, failed: 2 } });
		await server.advanceClock(2 * SECOND);
		const done = await client.batches.retrieve(created.id);
		expect(done).toMatchObject({ status: 'completed', completed_at: expect.any(Number), output_file_id: expect.stringMatching(/^file-/), error_file_id: expect.stringMatching(/^file-/) });

		// The output holds the successes, the error file the failures, both in the seeded shuffled order.
		const order = server.batches[0].order;
		expect([...order].sort()).toEqual(ids);
		expect(order).not.toEqual(ids);
		const output = await linesOf(done.output_file_id);
		const errors = await linesOf(done.error_file_id);
		expect(output.map((l) => l.custom_id)).toEqual(order.filter((id) => id !== 'row-2' && id !== 'row-4'));
		expect(errors.map((l) => [l.custom_id, l.response?.status_code, (l.response?.body.error as { code?: string })?.code])).toEqual(
			order.filter((id) => id === 'row-2' || id === 'row-4').map((id) => (id === 'row-2' ? ['row-2', 500, null] : ['row-4', 400, 'moderation_blocked'])),
		);
		for (const line of output) {
			expect(line).toMatchObject({ id: expect.stringMatching(/^batch_req_/), response: { status_code: 200, request_id: expect.stringMatching(/^req_/) }, error: null });
			const image = Buffer.from((line.response!.body.data as Array<{ b64_json: string }>)[0].b64_json, 'base64');
			expect(await sharp(image).metadata()).toMatchObject({ format: 'png', width: line.custom_id === 'row-3' ? 1536 : 1024 });
		}
		const outputTokens = output.reduce((sum, l) => sum + (l.response!.body.usage as { output_tokens: number }).output_tokens, 0);
		expect(done.usage).toMatchObject({ output_tokens: outputTokens, total_tokens: expect.any(Number) });
		expect(outputTokens).toBeGreaterThan(0);

		// Each line ran through the server's own route, logged as a batch request.
		const batchRequests = server.requests.filter((r) => r.origin === 'batch');
		expect(batchRequests.map((r) => r.batch!.customId)).toEqual(expect.arrayContaining(ids));
		expect(batchRequests.every((r) => r.kind === 'generation' && r.batch!.batchId === created.id)).toBe(true);
		expect(server.storedFiles.map((f) => [f.origin, f.purpose])).toEqual([
			['upload', 'batch'],
			['batch_output', 'batch_output'],
			['batch_error', 'batch_output'],
		]);
	});

	test('another seed gives another order; the same seed the same', async () => {
		const lines = Array.from({ length: 8 }, (_, i) => generation(`id-${i}`, `boat ${i}`));
		server.set({ batchTiming: { validatingMs: 0, perLineMs: 0, finalizingMs: 0 } });
		await batchOf(lines);
		await server.settleBatches();
		const first = server.batches[0].order;
		server.reset();
		await batchOf(lines);
		await server.settleBatches();
		expect(server.batches[0].order).toEqual(first);
		server.reset();
		server.set({ batchSeed: 99 });
		await batchOf(lines);
		await server.settleBatches();
		expect(server.batches[0].order).not.toEqual(first);
		expect((await linesOf(server.batches[0].object.output_file_id as string)).map((l) => l.custom_id)).toEqual(server.batches[0].order);
	});

	test('edits by reference in a batch: file ids and data URLs; a streaming line goes to the error file', async () => {
		const red = await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 200, g: 30, b: 40 } } }).png().toBuffer();
		const photo = await client.files.create({ file: await toFile(red, 'red.png'), purpose: 'vision' });
		const edit = (custom_id: string, images: unknown[], extra: Record<string, unknown> = {}): Line => ({ custom_id, method: 'POST', url: '/v1/images/edits', body: { model: 'gpt-image-2', prompt: 'night', images, ...extra } });
		server.set({ batchTiming: { validatingMs: 0, perLineMs: 0, finalizingMs: 0 } });
		const created = await batchOf(
			[edit('by-id', [{ file_id: photo.id }]), edit('by-data', [{ image_url: `data:image/png;base64,${red.toString('base64')}` }]), edit('streamed', [{ file_id: photo.id }], { stream: true })],
			{},
			'/v1/images/edits',
		);
		await server.settleBatches();
		const done = await client.batches.retrieve(created.id);
		expect(done).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 2, failed: 1 } });
		const output = await linesOf(done.output_file_id);
		expect(output.map((l) => l.custom_id).sort()).toEqual(['by-data', 'by-id']);
		for (const line of output) {
			const image = Buffer.from((line.response!.body.data as Array<{ b64_json: string }>)[0].b64_json, 'base64');
			expect(await sharp(image).metadata()).toMatchObject({ width: 256, height: 256 });
		}
		const [streamed] = await linesOf(done.error_file_id);
		expect(streamed).toMatchObject({ custom_id: 'streamed', response: { status_code: 400, body: { error: { param: 'stream' } } } });
		const requests = server.requests.filter((r) => r.origin === 'batch');
		expect(requests.map((r) => r.jsonEdit?.images[0]).filter(Boolean)).toHaveLength(2);
	});
});

describe('validation: a bad input file fails the batch, naming lines', () => {
	test('every bad line, with its 1-based number, code and param', async () => {
		const created = await batchOf([
			generation('ok-1', 'fine'),
			'{"custom_id": "broken",',
			generation('ok-1', 'same id'),
			{ ...generation('wrong-url', 'p'), url: '/v1/images/edits' },
			{ ...generation('wrong-method', 'p'), method: 'GET' },
			generation('other-model', 'p', { model: 'gpt-image-1' }),
		]);
		await server.advanceClock(HOUR);
		const failed = await client.batches.retrieve(created.id);
		expect(failed.status).toBe('failed');
		expect(failed.failed_at).toBe(created.created_at + 2);
		expect(failed.errors!.data!.map((e) => [e.line, e.code, e.param])).toEqual([
			[2, 'invalid_json_line', null],
			[3, 'duplicate_custom_id', 'custom_id'],
			[4, 'url_mismatch', 'url'],
			[5, 'invalid_method', 'method'],
			[6, 'model_mismatch', 'body.model'],
		]);
		expect(failed.errors!.data![0].message).toBe('This line is not parseable as valid JSON.');
		expect([failed.output_file_id, failed.error_file_id]).toEqual([null, null]);
		expect(server.requests.filter((r) => r.origin === 'batch')).toHaveLength(0);
	});

	test('an empty file; more than 50,000 lines; more than 200 MB', async () => {
		const empty = await client.files.create({ file: await toFile(Buffer.from('\n'), 'empty.jsonl'), purpose: 'batch' });
		const batch = await client.batches.create({ input_file_id: empty.id, endpoint: '/v1/images/generations', completion_window: '24h' });
		const many = await batchOf(Array.from({ length: 50_001 }, (_, i) => generation(`r${i}`, 'p')));
		await server.advanceClock(HOUR);
		expect((await client.batches.retrieve(batch.id)).errors!.data).toEqual([{ code: 'empty_file', line: null, message: 'The batch input file is empty.', param: null }]);
		expect((await client.batches.retrieve(many.id)).errors!.data![0]).toMatchObject({ code: 'too_many_tasks', line: null });
		expect(validateBatchInput(jsonl([generation('a', 'p')]), MAX_BATCH_FILE_BYTES + 1, '/v1/images/generations')).toEqual({ errors: [expect.objectContaining({ code: 'file_too_large' })] });
		expect(validateBatchInput(jsonl([generation('a', 'p')]), MAX_BATCH_FILE_BYTES, '/v1/images/generations')).toMatchObject({ lines: [{ line: 1, customId: 'a' }], model: 'gpt-image-2' });
	});

	test.each([
		['an unknown input file', async () => ({ input_file_id: 'file-none' }), 'input_file_id'],
		['a file of another purpose', async () => ({ input_file_id: (await client.files.create({ file: await toFile(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer(), 'a.png'), purpose: 'vision' })).id }), 'input_file_id'],
		['an endpoint that is not images', async () => ({ endpoint: '/v1/chat/completions' as const }), 'endpoint'],
		['a completion window other than 24h', async () => ({ completion_window: '1h' as '24h' }), 'completion_window'],
		['17 metadata pairs', async () => ({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }), 'metadata'],
		['a metadata key of 65 characters', async () => ({ metadata: { ['k'.repeat(65)]: 'v' } }), 'metadata'],
		['a metadata value of 513 characters', async () => ({ metadata: { note: 'v'.repeat(513) } }), 'metadata.note'],
		['output_expires_after of 10 minutes', async () => ({ output_expires_after: { anchor: 'created_at' as const, seconds: 600 } }), 'output_expires_after.seconds'],
	])('create refuses %s (400, naming the parameter)', async (_name, override, param) => {
		const file = await upload([generation('a', 'p')]);
		const error = await apiError(client.batches.create({ input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h', ...(await override()) }));
		expect([error.status, (error.error as { param?: string }).param]).toEqual([400, param]);
		expect(server.batches).toHaveLength(0);
	});

	test('limits that pass: 16 metadata pairs, keys of 64 and values of 512 characters', async () => {
		const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`${i}`.padEnd(64, 'k'), 'v'.repeat(512)]));
		expect((await batchOf([generation('a', 'p')], { metadata })).metadata).toEqual(metadata);
	});
});

describe('expiry, cancellation, listing, clocks', () => {
	test('at 24 h the lines done are delivered; the others expire into the error file, unbilled', async () => {
		server.set({ batchTiming: { perLineMs: 10 * HOUR } });
		const created = await batchOf(['a', 'b', 'c', 'd'].map((id) => generation(id, `boat ${id}`)));
		await server.advanceClock(23 * HOUR);
		expect((await client.batches.retrieve(created.id)).request_counts).toEqual({ total: 4, completed: 2, failed: 0 });
		await server.advanceClock(HOUR);
		const expired = await client.batches.retrieve(created.id);
		expect(expired).toMatchObject({ status: 'expired', expired_at: created.expires_at, request_counts: { total: 4, completed: 2, failed: 0 } });
		const order = server.batches[0].order;
		expect((await linesOf(expired.output_file_id)).map((l) => l.custom_id)).toEqual(order.slice(0, 2));
		expect(await linesOf(expired.error_file_id)).toEqual(
			order.slice(2).map((custom_id) => ({
				id: expect.stringMatching(/^batch_req_/),
				custom_id,
				response: null,
				error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
			})),
		);
	});

	test('cancel: cancelling, then cancelled with the output of the lines done before it', async () => {
		const created = await batchOf(['a', 'b', 'c', 'd', 'e'].map((id) => generation(id, `cancel ${id}`)));
		await server.advanceClock(2 * SECOND + 1000);
		const cancelling = await client.batches.cancel(created.id);
		expect(cancelling).toMatchObject({ status: 'cancelling', cancelling_at: created.created_at + 3 });
		await server.advanceClock(1999);
		expect((await client.batches.retrieve(created.id)).status).toBe('cancelling');
		await server.advanceClock(1);
		const cancelled = await client.batches.retrieve(created.id);
		expect(cancelled).toMatchObject({ status: 'cancelled', cancelled_at: created.created_at + 5, request_counts: { total: 5, completed: 2, failed: 0 }, error_file_id: null });
		expect((await linesOf(cancelled.output_file_id)).map((l) => l.custom_id)).toEqual(server.batches[0].order.slice(0, 2));
		expect(server.requests.filter((r) => r.origin === 'batch')).toHaveLength(2);
		const again = await apiError(client.batches.cancel(created.id));
		expect([again.status, again.message]).toEqual([409, "409 Cannot cancel a batch with status 'cancelled'."]);
	});

	test('a completed batch cannot be cancelled; unknown ids answer 404', async () => {
		const created = await batchOf([generation('a', 'p')]);
		await server.advanceClock(HOUR);
		expect((await apiError(client.batches.cancel(created.id))).status).toBe(409);
		expect((await apiError(client.batches.retrieve('batch_nope'))).message).toBe('404 No such Batch object: batch_nope');
	});

	test('list: newest first, limit and after (the SDK pages through)', async () => {
		const ids: string[] = [];
		for (let i = 0; i < 5; i++) ids.push((await batchOf([generation(`a${i}`, 'p')])).id);
		const page = await client.batches.list({ limit: 2 });
		expect(page.data.map((b) => b.id)).toEqual([ids[4], ids[3]]);
		expect(page.has_more).toBe(true);
		const all: string[] = [];
		for await (const batch of client.batches.list({ limit: 2 })) all.push(batch.id);
		expect(all).toEqual([...ids].reverse());
		const after = await client.batches.list({ limit: 10, after: ids[2] });
		expect(after.data.map((b) => b.id)).toEqual([ids[1], ids[0]]);
	});

	test('batchStepPerPoll: each poll moves the clock, so a polling client sees progress without real waiting', async () => {
		server.set({ batchStepPerPoll: SECOND });
		const created = await batchOf(['a', 'b'].map((id) => generation(id, `poll ${id}`)));
		// Polls at 1 s .. 7 s: validated at 2 s, both lines (0.5 s each) done by 3 s, finalizing 2 s.
		const seen: string[] = [];
		for (let i = 0; i < 7; i++) seen.push((await client.batches.retrieve(created.id)).status);
		expect(seen).toEqual(['validating', 'in_progress', 'finalizing', 'finalizing', 'completed', 'completed', 'completed']);
	});

	test('a running clock (batchClock 1000) finishes a batch on its own', async () => {
		server.set({ batchClock: 1000 });
		const created = await batchOf(['a', 'b', 'c'].map((id) => generation(id, `fast ${id}`)));
		let batch = created;
		while (!['completed', 'failed'].includes(batch.status)) {
			await new Promise((resolve) => setTimeout(resolve, 20));
			batch = await client.batches.retrieve(created.id);
		}
		expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 3, failed: 0 } });
	});
});
