/**
 * Request Mode › Batch (issue 17) inside n8n's engine against the project's image server with
 * its Files and Batch APIs: refusals before anything is sent, batches created, waited for and
 * read, items in input order, every status, Wait off, Image Batch, stop.
 */
import type { IDataObject, INode, INodeParameters } from 'n8n-workflow';
import sharp from 'sharp';

import { startImageServer, type ImageServer } from './server';
import { binaryBuffer, chain, FIXTURE_TYPES, loadPackageNodeTypes, runWorkflow } from './helpers/engine';
import { registerToolVariant } from './helpers/tool-variant';
import { errorMessage, file, itemError, openAiCredentials, runCreateImage, runEditImage } from './workflow';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => {
	server.reset();
	// Options outlive reset(): every test starts from the same ones.
	server.set({ flavor: 'openai', batchClock: 'manual', batchStepPerPoll: 0, batchTiming: { validatingMs: 2000, perLineMs: 500, finalizingMs: 2000, cancellingMs: 2000 }, imageMode: 'solid' });
});

const BATCH = { requestMode: 'batch' };
const apiRequests = () => server.requests.filter((r) => r.kind !== 'models');

describe('refused before anything is sent', () => {
	test('Azure OpenAI: one error naming Direct, no request at all', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a' }, { prompt: 'b' }], { authentication: 'azureOpenAiImagesApi', parameters: BATCH }, {
			credentials: { azureOpenAiImagesApi: { endpoint: server.url, apiKey: server.apiKey, apiStyle: 'v1', apiVersion: '2025-04-01-preview' } },
		});
		expect(run.status).toBe('error');
		expect(run.error?.message).toBe(
			"Request Mode: Batch is not available with Azure OpenAI: its Global Batch takes no image models (Microsoft's global-batch model matrix, 2026). Choose Request Mode › Direct",
		);
		expect(apiRequests()).toHaveLength(0);
	});

	test('Azure OpenAI under Continue (error output): every item an error item naming the field, nothing sent', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'a' }, { prompt: 'b' }],
			{ authentication: 'azureOpenAiImagesApi', parameters: BATCH, onError: 'continueErrorOutput' },
			{ credentials: { azureOpenAiImagesApi: { endpoint: server.url, apiKey: server.apiKey, apiStyle: 'v1', apiVersion: '2025-04-01-preview' } } },
		);
		expect(run.status).toBe('success');
		expect(run.errors.map((item) => [itemError(item)?.field, item.pairedItem])).toEqual([
			['Request Mode', { item: 0 }],
			['Request Mode', { item: 1 }],
		]);
		expect(apiRequests()).toHaveLength(0);
	});

	test('Stream and Partial Images are refused for the item that asks, before any upload', async () => {
		const stream = await runCreateImage(server, [{ prompt: 'a', stream: false }, { prompt: 'b', stream: true }], {
			parameters: BATCH,
			options: { stream: '={{ $json.stream }}' },
		});
		expect(stream.status).toBe('error');
		expect(stream.error?.message).toBe(
			'[item 1] Options › Stream: is not taken in Request Mode › Batch (a batch line has one answer); turn it off, or choose Request Mode › Direct',
		);
		const partial = await runCreateImage(server, [{ prompt: 'a' }], { parameters: BATCH, options: { stream: true, partialImages: 2 } });
		expect(partial.error?.message).toBe(
			'[item 0] Options › Partial Images: is not taken in Request Mode › Batch (a batch line has one answer); remove it, or choose Request Mode › Direct',
		);
		expect(apiRequests()).toHaveLength(0);
	});

	test('an item with a bad size fails the node before anything is uploaded, as in direct mode', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a', size: '1024x1024' }, { prompt: 'b', size: '100x100' }], {
			parameters: BATCH,
			options: { size: '={{ $json.size }}' },
		});
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/^\[item 1\] Options › Size: /);
		expect(apiRequests()).toHaveLength(0);
	});
});

describe('servers without the Files or Batch API', () => {
	test('a compatible server without /files: one clear node error naming Direct, and nothing lost under Continue', async () => {
		server.set({ flavor: 'localai' });
		const failed = await runCreateImage(server, [{ prompt: 'a' }, { prompt: 'b' }], { parameters: BATCH });
		expect(failed.status).toBe('error');
		expect(failed.error?.message).toBe(
			`The server at ${server.url} has no Files API (/files): Uploading the requests (POST /files) was answered HTTP 404. Request Mode › Batch needs OpenAI's Files and Batch APIs; choose Request Mode › Direct for this server`,
		);
		const kept = await runCreateImage(server, [{ prompt: 'a' }, { prompt: 'b' }], { parameters: BATCH, onError: 'continueErrorOutput' });
		expect(kept.status).toBe('success');
		expect(kept.errors.map((item) => [errorMessage(item)?.slice(0, 40), item.pairedItem])).toEqual([
			[`The server at ${server.url} has no Files`.slice(0, 40), { item: 0 }],
			[`The server at ${server.url} has no Files`.slice(0, 40), { item: 1 }],
		]);
		expect(server.requests.filter((r) => r.kind === 'generation')).toHaveLength(0);
	});
});

// ---------------------------------------------------------------------------------------------
// Batches run: the server's batch clock stands still, and each poll moves it (batchStepPerPoll),
// so a batch's progress follows the node's polls, not the real time.

const HOUR = 3_600_000;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
const onServer = (id: string) => server.batches.find((batch) => batch.id === id)!;
const files = (origin?: string) => server.storedFiles.filter((file) => !origin || file.origin === origin);
const polls = () => server.requests.filter((r) => r.kind === 'batches' && r.method === 'GET');

/** Runs [Prepare (emits `items`) -> Image Batch with `parameters`] through n8n's engine. */
async function runImageBatch(items: IDataObject[], parameters: IDataObject, onError?: INode['onError']) {
	return await runWorkflow({
		nodes: [
			{ name: 'Prepare', type: FIXTURE_TYPES.emitItems, parameters: { items: JSON.stringify(items.map((json) => ({ json }))) } },
			{
				name: 'Image Batch',
				type: 'n8n-nodes-create-image.imageBatch',
				parameters: parameters as INodeParameters,
				credentials: { openAiImagesApi: { id: '1', name: 'Image server' } },
				...(onError ? { onError } : {}),
			},
		],
		connections: chain('Prepare', 'Image Batch'),
		startNode: 'Prepare',
		credentials: openAiCredentials(server),
	});
}

describe('Wait for Results on: a batch from start to end', () => {
	test('completed: every item as direct mode makes it, in input order with pairedItem though the output file is shuffled; files deleted', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: HOUR, imageMode: 'solid' });
		const rows = Array.from({ length: 8 }, (_, i) => ({ prompt: `a lighthouse number ${i}` }));
		const run = await runCreateImage(server, rows, { parameters: BATCH, options: { size: '1024x1024' } });

		expect([run.status, run.error?.message]).toEqual(['success', undefined]);
		expect(server.batches).toHaveLength(1);
		const [batch] = server.batches;
		const inputOrder = rows.map((_, i) => `item-${i}-0`);
		// The file's order is not the input order: the node must put them back.
		expect(batch.order).not.toEqual(inputOrder);
		expect(batch.order.slice().sort()).toEqual(inputOrder.slice().sort());
		expect(run.result.map((item) => [item.json.prompt, item.json.customId, item.json.batchId, item.pairedItem])).toEqual(
			rows.map((row, i) => [row.prompt, `item-${i}-0`, batch.id, { item: i }]),
		);
		for (const [i, item] of run.result.entries()) {
			expect(item.json).toMatchObject({ index: 0, model: 'gpt-image-2', size: '1024x1024', outputFormat: 'png' });
			expect(item.json.requestId).toMatch(/^req_/);
			expect(item.binary!.data).toMatchObject({ mimeType: 'image/png', fileName: `image_${i}_0.png` });
			expect((await binaryBuffer(item, 'data')).subarray(0, 4)).toEqual(PNG);
		}
		// The input file: one line per request, the body direct mode sends, the batch endpoint.
		expect(batch.lines.map((line) => [line.customId, line.url, line.body])).toEqual(
			rows.map((row, i) => [`item-${i}-0`, '/v1/images/generations', { model: 'gpt-image-2', prompt: row.prompt, size: '1024x1024' }]),
		);
		expect(batch.object.metadata).toMatchObject({
			n8n_package: 'n8n-nodes-create-image',
			n8n_workflow_id: 'harness-workflow',
			n8n_workflow: 'Harness workflow',
			n8n_execution_id: run.executionId,
			n8n_node: 'Create Image',
			n8n_part: '1 of 1',
		});
		expect(server.requests.filter((r) => r.kind === 'generation' && r.origin === 'client')).toHaveLength(0);
		// Delete Files (default on): the uploaded input and the output file, once read.
		expect(files().map((file) => [file.origin, file.deleted])).toEqual([
			['upload', true],
			['batch_output', true],
		]);
	});

	test('what it cost: each request priced at half the rates (batch: true), and its usage counted once in the run metadata', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: HOUR, imageMode: 'solid' });
		const rows = [{ prompt: 'a lighthouse', n: 1 }, { prompt: 'two boats', n: 2 }];
		const prices = { textInput: 5, imageInput: 8, imageOutput: 30 };
		const run = await runCreateImage(server, rows, { parameters: BATCH, options: { n: '={{ $json.n }}', size: '1024x1024', prices: JSON.stringify(prices) } });
		expect([run.status, run.error?.message]).toEqual(['success', undefined]);
		const firsts = run.result.filter((item) => item.json.index === 0);
		expect(firsts).toHaveLength(2);
		for (const item of firsts) {
			const usage = item.json.usage as { input_tokens: number; input_tokens_details: { text_tokens: number; image_tokens: number }; output_tokens: number };
			const { text_tokens, image_tokens } = usage.input_tokens_details;
			// Half of each rate: the Batch API's 50 %.
			const usd = Number(((text_tokens * 2.5 + image_tokens * 4 + usage.output_tokens * 15) / 1_000_000).toFixed(10));
			expect(item.json.estimatedCost).toEqual({
				usd,
				textInputTokens: text_tokens,
				imageInputTokens: image_tokens,
				outputTokens: usage.output_tokens,
				rates: { textInput: 2.5, imageInput: 4, imageOutput: 15 },
				batch: true,
				source: 'Options › Prices per 1M Tokens',
			});
			expect(usd).toBeGreaterThan(0);
		}
		expect(run.result.filter((item) => item.json.index !== 0).every((item) => item.json.estimatedCost === undefined)).toBe(true);
		const usages = firsts.map((item) => item.json.usage as { input_tokens: number; output_tokens: number });
		expect(run.task('Create Image').metadata?.tokenUsage).toEqual({
			inputTokens: usages.reduce((sum, usage) => sum + usage.input_tokens, 0),
			outputTokens: usages.reduce((sum, usage) => sum + usage.output_tokens, 0),
		});
	});

	test('Raw Response: one row per request with status and body, plus batchId and customId, in input order', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: HOUR, imageMode: 'solid' });
		const run = await runCreateImage(server, [{ prompt: 'one' }, { prompt: 'two [moderation]' }, { prompt: 'three' }], {
			parameters: BATCH,
			resultFormat: 'rawResponse',
		});
		expect(run.status).toBe('success');
		const batchId = server.batches[0].id;
		expect(run.result.map((row) => [row.json.status, row.json.customId, row.json.batchId, row.pairedItem])).toEqual([
			[200, 'item-0-0', batchId, { item: 0 }],
			[400, 'item-1-0', batchId, { item: 1 }],
			[200, 'item-2-0', batchId, { item: 2 }],
		]);
		const body = run.result[0].json.body as { data: Array<{ b64_json: string }> };
		expect(Buffer.from(body.data[0].b64_json, 'base64').subarray(0, 4)).toEqual(PNG);
		expect((run.result[1].json.body as { error: { code: string } }).error.code).toBe('moderation_blocked');
	});

	test('failed lines (error file) become error items under Continue, as in direct mode; the others are images', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: HOUR, imageMode: 'solid' });
		const rows = [{ prompt: 'fine' }, { prompt: 'blocked [moderation]' }, { prompt: 'broken [status:500]' }, { prompt: 'also fine' }];
		const run = await runCreateImage(server, rows, { parameters: BATCH, onError: 'continueErrorOutput' });
		expect(run.status).toBe('success');
		expect(run.result.map((item) => [item.json.prompt, item.pairedItem])).toEqual([
			['fine', { item: 0 }],
			['also fine', { item: 3 }],
		]);
		expect(run.errors.map((item) => [itemError(item)?.status, itemError(item)?.code, item.pairedItem])).toEqual([
			[400, 'moderation_blocked', { item: 1 }],
			[500, undefined, { item: 2 }],
		]);
		expect(itemError(run.errors[0])?.requestId).toMatch(/^req_/);
		expect(files().map((file) => [file.origin, file.deleted])).toEqual([
			['upload', true],
			['batch_output', true],
			['batch_error', true],
		]);
	});

	test('a failed line without Continue fails the node, naming the item, and leaves the results to pick up', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: HOUR, imageMode: 'solid' });
		const run = await runCreateImage(server, [{ prompt: 'fine' }, { prompt: 'blocked [moderation]' }], { parameters: BATCH });
		expect(run.status).toBe('error');
		const batchId = server.batches[0].id;
		expect(run.error?.message).toMatch(/moderation|safety/i);
		expect(run.error?.description).toContain(`Image Batch › Get Results with batch ID ${batchId}`);
		// Nothing deleted: Image Batch › Get Results reads the input and output files again.
		expect(files().map((file) => [file.origin, file.deleted])).toEqual([
			['upload', false],
			['batch_output', false],
			['batch_error', false],
		]);
	});

	test('a split n becomes several lines, and their images one item\'s images, numbered in order', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: HOUR, imageMode: 'solid' });
		const run = await runCreateImage(server, [{ prompt: 'a logo' }, { prompt: 'an icon' }], {
			model: 'gpt-image-2.6-flare',
			parameters: BATCH,
			options: { outputFormat: 'svg', n: 2 },
		});
		expect(run.status).toBe('success');
		expect(server.batches[0].lines.map((line) => [line.customId, line.body.n])).toEqual([
			['item-0-0', 1],
			['item-0-1', 1],
			['item-1-0', 1],
			['item-1-1', 1],
		]);
		expect(run.result.map((item) => [item.json.index, item.json.customId, item.pairedItem, item.binary!.data.fileName])).toEqual([
			[0, 'item-0-0', { item: 0 }, 'image_0_0.svg'],
			[1, 'item-0-1', { item: 0 }, 'image_0_1.svg'],
			[0, 'item-1-0', { item: 1 }, 'image_1_0.svg'],
			[1, 'item-1-1', { item: 1 }, 'image_1_1.svg'],
		]);
	});

	test('items of two models: one batch per model (one model per input file), output in input order', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: HOUR, imageMode: 'solid' });
		const rows = [
			{ prompt: 'a', model: 'gpt-image-2' },
			{ prompt: 'b', model: 'gpt-image-2.5-flare' },
			{ prompt: 'c', model: 'gpt-image-2' },
			{ prompt: 'd', model: 'gpt-image-2.5-flare' },
		];
		const run = await runCreateImage(server, rows, { model: '={{ $json.model }}', parameters: BATCH });
		expect(run.status).toBe('success');
		expect(server.batches.map((batch) => [batch.lines.map((line) => line.body.model), batch.lines.map((line) => line.customId)])).toEqual([
			[['gpt-image-2', 'gpt-image-2'], ['item-0-0', 'item-2-0']],
			[['gpt-image-2.5-flare', 'gpt-image-2.5-flare'], ['item-1-0', 'item-3-0']],
		]);
		expect(server.batches.map((batch) => (batch.object.metadata as Record<string, string> | null)?.n8n_part)).toEqual(['1 of 2', '2 of 2']);
		expect(run.result.map((item) => [item.json.prompt, item.json.model, item.json.batchId, item.pairedItem])).toEqual([
			['a', 'gpt-image-2', server.batches[0].id, { item: 0 }],
			['b', 'gpt-image-2.5-flare', server.batches[1].id, { item: 1 }],
			['c', 'gpt-image-2', server.batches[0].id, { item: 2 }],
			['d', 'gpt-image-2.5-flare', server.batches[1].id, { item: 3 }],
		]);
	});

	test('expired: the lines done are images, the others say they were not processed and not billed', async () => {
		// One line every 10 h: within the 24 h window two lines run; each poll moves the clock 11 h.
		server.set({ batchClock: 'manual', batchStepPerPoll: 11 * HOUR, batchTiming: { perLineMs: 10 * HOUR }, imageMode: 'solid' });
		const rows = Array.from({ length: 4 }, (_, i) => ({ prompt: `slow ${i}` }));
		const run = await runCreateImage(server, rows, { parameters: BATCH, onError: 'continueRegularOutput' });
		expect(run.status).toBe('success');
		const [batch] = server.batches;
		expect(batch.object.status).toBe('expired');
		const done = new Set(batch.done);
		expect(done.size).toBe(2);
		expect(run.result).toHaveLength(4);
		for (const [i, item] of run.result.entries()) {
			expect(item.pairedItem).toEqual({ item: i });
			if (done.has(`item-${i}-0`)) expect(item.binary?.data).toBeDefined();
			else expect(errorMessage(item)).toBe(`[item ${i}] Not processed: batch ${batch.id} expired (24 h window) before this request ran; it was not billed (This request could not be executed before the completion window expired.)`);
		}
	});
});

describe('Wait for Results off, and Image Batch', () => {
	test('Wait off: one Result item per input item { batchId, customIds, status, model, requests }; then Image Batch gets the results', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: 0, imageMode: 'solid' });
		const rows = [{ prompt: 'one' }, { prompt: 'two' }, { prompt: 'three' }];
		const created = await runCreateImage(server, rows, { parameters: { ...BATCH, batchWait: false } });
		expect(created.status).toBe('success');
		const [batch] = server.batches;
		expect(created.result).toEqual(
			rows.map((_, i) => ({
				json: { batchId: batch.id, customIds: [`item-${i}-0`], status: 'validating', model: 'gpt-image-2', requests: 1 },
				pairedItem: { item: i },
			})),
		);
		expect(polls()).toHaveLength(0);

		// While it runs: one item with its status and counts (the three inputs name one batch).
		const running = await runImageBatch(created.result.map((item) => item.json), { operation: 'getResults', batchId: '={{ $json.batchId }}' });
		expect(running.status).toBe('success');
		expect(running.outputs('Image Batch')[0].map((item) => [item.json.batchId, item.json.status, item.pairedItem])).toEqual([[batch.id, 'validating', { item: 0 }]]);

		// Done: the images, each with its customId and the item index it came from, in that order.
		await server.advanceClock(HOUR);
		expect(onServer(batch.id).object.status).toBe('completed');
		const done = await runImageBatch(created.result.map((item) => item.json), { operation: 'getResults', batchId: '={{ $json.batchId }}' });
		const items = done.outputs('Image Batch')[0];
		expect(items.map((item) => [item.json.prompt, item.json.customId, item.json.itemIndex, item.json.batchId, item.binary?.data.fileName])).toEqual(
			rows.map((row, i) => [row.prompt, `item-${i}-0`, i, batch.id, `image_${i}_0.png`]),
		);
		for (const item of items) expect((await binaryBuffer(item, 'data')).subarray(0, 4)).toEqual(PNG);
		// Nothing was deleted: the batch's files stay for another pick-up.
		expect(files().every((file) => !file.deleted)).toBe(true);
	});

	test('past Max Wait the node gives what Wait off gives, with the status then', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: 0, imageMode: 'solid' });
		// 0.0001 h = 0.36 s: passed by the first poll.
		const run = await runCreateImage(server, [{ prompt: 'a' }, { prompt: 'b' }], { parameters: { ...BATCH, batchMaxWaitHours: 0.0001 } });
		expect(run.status).toBe('success');
		const [batch] = server.batches;
		expect(run.result.map((item) => item.json)).toEqual([
			{ batchId: batch.id, customIds: ['item-0-0'], status: 'validating', model: 'gpt-image-2', requests: 1 },
			{ batchId: batch.id, customIds: ['item-1-0'], status: 'validating', model: 'gpt-image-2', requests: 1 },
		]);
		expect(polls().length).toBeGreaterThanOrEqual(1);
		expect(onServer(batch.id).object.status).toBe('validating');
		expect(files().every((file) => !file.deleted)).toBe(true);
	});

	test.each([
		['while it waits for the batch', () => polls().length >= 1],
		['while the batch is being created (found again by its metadata)', () => server.batches.length >= 1],
	])('a stop %s cancels the node\'s batch and says so', async (_when, ready) => {
		server.set({ batchClock: 'manual', batchStepPerPoll: 0, imageMode: 'solid' });
		const stop = new AbortController();
		const running = runCreateImage(server, [{ prompt: 'a' }, { prompt: 'b' }], { parameters: BATCH }, { signal: stop.signal });
		while (!ready()) await new Promise((resolve) => setTimeout(resolve, 10));
		const [batch] = server.batches;
		stop.abort();
		const run = await running;
		expect(run.status).toBe('canceled');
		for (let i = 0; i < 200 && batch.object.status === 'validating'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
		expect(batch.object.status).toBe('cancelling');
		expect(server.requests.filter((r) => r.path === `/v1/batches/${batch.id}/cancel`)).toHaveLength(1);
		expect(server.batches).toHaveLength(1);
		expect(run.task('Create Image').error?.message).toBe(
			`Execution canceled: batch ${batch.id} cancelled (requests already done are billed; Image Batch › Get Results gives them)`,
		);
	});

	test('Image Batch as an AI Agent tool: Get Results of a Raw Response batch hands the model rows without base64', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: 0, imageMode: 'solid' });
		const created = await runCreateImage(server, [{ prompt: 'one' }], { parameters: { ...BATCH, batchWait: false }, resultFormat: 'rawResponse' });
		const [batch] = server.batches;
		await server.advanceClock(HOUR);
		const types = loadPackageNodeTypes();
		const toolType = registerToolVariant(types, 'n8n-nodes-create-image.imageBatch');
		const run = await runWorkflow({
			nodeTypes: types,
			nodes: [
				{
					name: 'Image Batch Tool',
					type: toolType,
					parameters: { operation: 'getResults', batchId: "={{ $fromAI('batchId', 'The batch ID', 'string') }}" },
					credentials: { openAiImagesApi: { id: '1', name: 'Image server' } },
				},
			],
			connections: {},
			startNode: 'Image Batch Tool',
			input: [{ json: { batchId: created.result[0].json.batchId, toolCallId: 'call_1' } }],
			credentials: openAiCredentials(server),
		});
		expect(run.error?.message).toBeUndefined();
		const answer = run.outputs('Image Batch Tool');
		// The Result output only, one row, its body without the image's base64 (strings over 2,000 characters dropped).
		expect(answer).toHaveLength(1);
		expect(answer[0].map((item) => [item.json.status, item.json.customId, item.json.batchId])).toEqual([[200, 'item-0-0', batch.id]]);
		expect(JSON.stringify(answer[0][0].json).length).toBeLessThan(3000);
	});

	test('Image Batch › Cancel, then Get Results: the lines done are images, the others say cancelled and not billed', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: 0, batchTiming: { perLineMs: HOUR }, imageMode: 'solid' });
		const rows = [{ prompt: 'one' }, { prompt: 'two' }, { prompt: 'three' }, { prompt: 'four' }];
		const created = await runCreateImage(server, rows, { parameters: { ...BATCH, batchWait: false } });
		const [batch] = server.batches;
		await server.advanceClock(2 * HOUR + 5000); // validated, then two lines done
		const cancel = await runImageBatch([{ batchId: batch.id }], { operation: 'cancel', batchId: '={{ $json.batchId }}' });
		expect(cancel.outputs('Image Batch')[0].map((item) => [item.json.batchId, item.json.status])).toEqual([[batch.id, 'cancelling']]);
		await server.advanceClock(HOUR);
		expect(batch.object.status).toBe('cancelled');
		const done = new Set(batch.done);
		expect(done.size).toBe(2);

		const picked = await runImageBatch(created.result.map((item) => item.json), { operation: 'getResults', batchId: '={{ $json.batchId }}' }, 'continueRegularOutput');
		const items = picked.outputs('Image Batch')[0];
		expect(items).toHaveLength(4);
		for (const [i, item] of items.entries()) {
			if (done.has(`item-${i}-0`)) expect(item.json).toMatchObject({ prompt: rows[i].prompt, itemIndex: i, customId: `item-${i}-0` });
			else expect(errorMessage(item)).toMatch(new RegExp(`^\\[item ${i}\\] Not processed: batch ${batch.id} was cancelled before this request ran; it was not billed`));
		}
	});
});

describe('Image Batch on batches made elsewhere', () => {
	/** Creates a batch on the server from `lines` (JSONL objects), as another run of the node would have. */
	async function makeBatch(lines: unknown[], metadata: Record<string, string> | null): Promise<string> {
		const input = await server.addStoredFile(lines.map((line) => JSON.stringify(line)).join('\n') + '\n', 'requests.jsonl', 'batch');
		const answer = await fetch(`${server.baseUrl}/batches`, {
			method: 'POST',
			headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
			body: JSON.stringify({ input_file_id: input.id, endpoint: '/v1/images/generations', completion_window: '24h', metadata }),
		});
		return ((await answer.json()) as { id: string }).id;
	}
	const line = (customId: string, body: IDataObject) => ({ custom_id: customId, method: 'POST', url: '/v1/images/generations', body });

	test('a batch that failed validation: each item named from its line number, under Continue', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: 0, imageMode: 'solid' });
		const id = await makeBatch(
			[
				line('item-0-0', { model: 'gpt-image-2', prompt: 'fine' }),
				line('item-1-0', { model: 'gpt-image-2.5-flare', prompt: 'another model' }),
				line('item-2-0', { model: 'gpt-image-2', prompt: 'fine too' }),
				line('item-2-0', { model: 'gpt-image-2', prompt: 'a duplicate' }),
			],
			{ n8n_package: 'n8n-nodes-create-image' },
		);
		await server.advanceClock(HOUR);
		expect(onServer(id).object.status).toBe('failed');
		const run = await runImageBatch([{ batchId: id }], { operation: 'getResults', batchId: '={{ $json.batchId }}' }, 'continueRegularOutput');
		expect(run.outputs('Image Batch')[0].map((item) => [errorMessage(item)?.replace(/: The .*|: Missing.*/, ''), itemError(item)?.code])).toEqual([
			[`[item 0] Batch ${id} failed validation (no line of this item was named); nothing was billed`, undefined],
			[`[item 1] Batch ${id} failed validation: line 2`, 'model_mismatch'],
			[`[item 2] Batch ${id} failed validation: line 4`, 'duplicate_custom_id'],
		]);
	});

	test('List: this package\'s batches (by metadata), newest first, with status and counts', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: 0, imageMode: 'solid' });
		const first = await makeBatch([line('item-0-0', { model: 'gpt-image-2', prompt: 'a' })], { n8n_package: 'n8n-nodes-create-image', n8n_node: 'Create Image', n8n_workflow: 'Nightly' });
		await server.advanceClock(500);
		await makeBatch([line('other', { model: 'gpt-image-2', prompt: 'b' })], null);
		await server.advanceClock(500);
		const third = await makeBatch([line('item-0-0', { model: 'gpt-image-2', prompt: 'c' })], { n8n_package: 'n8n-nodes-create-image', n8n_node: 'Edit Image' });
		const run = await runImageBatch([{}], { operation: 'list' });
		expect(run.outputs('Image Batch')[0].map((item) => [item.json.batchId, item.json.node, item.json.status, item.json.workflow])).toEqual([
			[third, 'Edit Image', 'validating', undefined],
			[first, 'Create Image', 'validating', 'Nightly'],
		]);
		expect(run.outputs('Image Batch')[0][0].json.requestCounts).toEqual({ total: 0, completed: 0, failed: 0 });
	});
});

describe('Edit Image in batch mode', () => {
	const solid = async (r: number, g: number, b: number) => await sharp({ create: { width: 1024, height: 1024, channels: 3, background: { r, g, b } } }).png().toBuffer();

	test('binaries uploaded once each (the same bytes twice: once) and referenced by file_id; URLs as they are; uploads deleted after', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: HOUR, imageMode: 'solid' });
		const red = await solid(200, 30, 40);
		const green = await solid(20, 180, 60);
		const greenUrl = `data:image/png;base64,${green.toString('base64')}`;
		const rows = [
			{ json: { prompt: 'red one', source: 'binary', url: '' }, binary: { data: file(red, 'image/png', 'red.png') } },
			{ json: { prompt: 'red again', source: 'binary', url: '' }, binary: { data: file(red, 'image/png', 'same-red.png') } },
			{ json: { prompt: 'green', source: 'binary', url: '' }, binary: { data: file(green, 'image/png', 'green.png') } },
			{ json: { prompt: 'green by URL', source: 'url', url: greenUrl } },
		];
		const run = await runEditImage(server, rows, {
			parameters: { ...BATCH, imageSource: '={{ $json.source }}', imageUrls: '={{ $json.url }}', imageFileIds: '={{ "" }}' },
		});
		expect(run.status).toBe('success');

		const uploads = files('upload');
		expect(uploads.map((upload) => [upload.purpose, upload.filename, upload.deleted])).toEqual([
			['vision', 'red.png', true],
			['vision', 'green.png', true],
			['batch', expect.stringMatching(/\.jsonl$/), true],
		]);
		const [batch] = server.batches;
		expect(batch.object.endpoint).toBe('/v1/images/edits');
		expect(batch.lines.map((line) => line.body.images)).toEqual([
			[{ file_id: uploads[0].id }],
			[{ file_id: uploads[0].id }],
			[{ file_id: uploads[1].id }],
			[{ image_url: greenUrl }],
		]);
		expect(batch.lines.map((line) => line.body.prompt)).toEqual(rows.map((row) => row.json.prompt));
		expect(run.result.map((item) => [item.json.prompt, item.json.customId, item.pairedItem])).toEqual(
			rows.map((row, i) => [row.json.prompt, `item-${i}-0`, { item: i }]),
		);
		for (const item of run.result) expect((await binaryBuffer(item, 'data')).subarray(0, 4)).toEqual(PNG);
		expect(server.requests.filter((r) => r.kind === 'edit' && r.origin === 'client')).toHaveLength(0);
	});

	test('Markup is refused in batch mode before anything is uploaded', async () => {
		const red = await solid(200, 30, 40);
		const run = await runEditImage(server, [{ json: { prompt: 'x' }, binary: { data: file(red, 'image/png', 'red.png'), guide: file(red, 'image/png', 'guide.png') } }], {
			model: 'gpt-image-2.5-flare',
			parameters: BATCH,
			options: { markup: 'guide' },
		});
		expect(run.error?.message).toBe(
			'[item 0] Options › Markup: is not taken in Request Mode › Batch (the JSON edit shape a batch line uses has no markup field); remove it, or choose Request Mode › Direct',
		);
		expect(apiRequests()).toHaveLength(0);
	});
});

describe('the 50,000-line limit in a real run', () => {
	test('50,001 items of one model make two batches, 50,000 and 1 lines (Wait off)', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: 0 });
		const rows = Array.from({ length: 50_001 }, (_, i) => ({ prompt: `p${i}` }));
		const run = await runCreateImage(server, rows, { parameters: { ...BATCH, batchWait: false } });
		expect(run.status).toBe('success');
		expect(server.batches.map((batch) => [batch.object.status, (batch.object.metadata as Record<string, string> | null)?.n8n_part])).toEqual([
			['validating', '1 of 2'],
			['validating', '2 of 2'],
		]);
		await server.advanceClock(2500); // validation: both input files are within the limits
		// Validated: neither input file failed (too_many_tasks would have made it `failed`).
		expect(server.batches.map((batch) => [batch.object.status !== 'failed', batch.lines.length])).toEqual([
			[true, 50_000],
			[true, 1],
		]);
		expect(run.result).toHaveLength(50_001);
		expect(run.result[49_999].json).toMatchObject({ batchId: server.batches[0].id, customIds: ['item-49999-0'] });
		expect(run.result[50_000]).toEqual({
			json: { batchId: server.batches[1].id, customIds: ['item-50000-0'], status: 'validating', model: 'gpt-image-2', requests: 1 },
			pairedItem: { item: 50_000 },
		});
	}, 120_000);
});

// Seams between batch mode, Image Batch, Edit Image by reference and the cost estimate (review of the merged branches).

describe('Image Batch › Get Results pairs each result with the input item that named it', () => {
	test('Wait off Result items in, images and error items out, each paired with its own Result item', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: 0, batchTiming: { perLineMs: HOUR }, imageMode: 'solid' });
		const rows = [{ prompt: 'one' }, { prompt: 'two' }, { prompt: 'three' }];
		const created = await runCreateImage(server, rows, { parameters: { ...BATCH, batchWait: false } });
		expect(created.status).toBe('success');
		const [batch] = server.batches;
		// Validated, then two lines done; then cancelled: the third line is not run.
		await server.advanceClock(2 * HOUR + 5000);
		await runImageBatch([{ batchId: batch.id }], { operation: 'cancel', batchId: '={{ $json.batchId }}' });
		await server.advanceClock(HOUR);
		expect(batch.object.status).toBe('cancelled');
		const done = new Set(batch.done);
		expect(done.size).toBe(2);

		const picked = await runImageBatch(created.result.map((item) => item.json), { operation: 'getResults', batchId: '={{ $json.batchId }}' }, 'continueRegularOutput');
		const items = picked.outputs('Image Batch')[0];
		expect(items.map((item) => [item.json.itemIndex ?? 'error', item.pairedItem])).toEqual(
			rows.map((_, i) => [done.has(`item-${i}-0`) ? i : 'error', { item: i }]),
		);
		const notRun = items.find((item) => item.json.itemIndex === undefined)!;
		expect(errorMessage(notRun)).toMatch(/was cancelled before this request ran; it was not billed/);
	});
});

describe('batch mode: a node-wide failure after the checks keeps each item\'s own input error', () => {
	test('a server without /files under Continue: the item with a bad size keeps its Size error; the other gets the node error', async () => {
		server.set({ flavor: 'localai' });
		const run = await runCreateImage(server, [{ prompt: 'a', size: '1024x1024' }, { prompt: 'b', size: '100x100' }], {
			parameters: BATCH,
			options: { size: '={{ $json.size }}' },
			onError: 'continueErrorOutput',
		});
		expect(run.status).toBe('success');
		expect(run.errors.map((item) => [itemError(item)?.field, errorMessage(item)?.slice(0, 30), item.pairedItem])).toEqual([
			[undefined, `The server at ${server.url} has no Files`.slice(0, 30), { item: 0 }],
			['Options › Size', '[item 1] Options › Size: "100x'.slice(0, 30), { item: 1 }],
		]);
	});
});

describe('Image Batch: a batch or file the provider does not know is named as such, not as a missing Batch API', () => {
	test('Get Results with an unknown batch ID: the item\'s error names the batch and the provider\'s 404', async () => {
		const run = await runImageBatch([{ batchId: 'batch_nope' }], { operation: 'getResults', batchId: '={{ $json.batchId }}' }, 'continueRegularOutput');
		const [item] = run.outputs('Image Batch')[0];
		expect(errorMessage(item)).toBe('Reading batch batch_nope failed: No such Batch object: batch_nope (HTTP 404)');
		expect(item.pairedItem).toEqual({ item: 0 });
	});

	test('Get Results after the input file was deleted: says the input file is gone', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: 0, imageMode: 'solid' });
		const created = await runCreateImage(server, [{ prompt: 'one' }], { parameters: { ...BATCH, batchWait: false } });
		const [batch] = server.batches;
		await server.advanceClock(HOUR);
		const inputFileId = batch.object.input_file_id as string;
		await fetch(`${server.baseUrl}/files/${inputFileId}`, { method: 'DELETE', headers: { authorization: `Bearer ${server.apiKey}` } });
		const run = await runImageBatch(created.result.map((item) => item.json), { operation: 'getResults', batchId: '={{ $json.batchId }}' }, 'continueRegularOutput');
		const [item] = run.outputs('Image Batch')[0];
		expect(errorMessage(item)).toMatch(new RegExp(`^The input file ${inputFileId} of batch ${batch.id} is gone`));
	});
});

describe('batch mode under Continue: a failure after the batches were created leaves no item behind', () => {
	test('the output file cannot be read: every item an error item naming the batch to pick up again; nothing deleted', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: 0, imageMode: 'solid' });
		const running = runCreateImage(server, [{ prompt: 'a' }, { prompt: 'b' }], { parameters: BATCH, onError: 'continueErrorOutput' });
		while (polls().length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
		// Completed at the next poll, but its output file is gone by then.
		await server.advanceClock(HOUR);
		const [batch] = server.batches;
		const outputId = batch.object.output_file_id as string;
		await fetch(`${server.baseUrl}/files/${outputId}`, { method: 'DELETE', headers: { authorization: `Bearer ${server.apiKey}` } });
		const run = await running;
		expect([run.status, run.error?.message]).toEqual(['success', undefined]);
		const message = `Reading file ${outputId} (GET /files/${outputId}/content) failed: No such File object: ${outputId} (HTTP 404)`;
		expect(run.errors.map((item) => [errorMessage(item), item.pairedItem])).toEqual([
			[message, { item: 0 }],
			[message, { item: 1 }],
		]);
		expect(itemError(run.errors[1])?.description).toContain(`Image Batch › Get Results with batch ID ${batch.id}`);
		expect(server.storedFiles.filter((file) => file.origin === 'upload').every((file) => !file.deleted)).toBe(true);
	});
});

describe('Edit Image in batch mode with binaries: what the JSON edit shape does not take is refused before any upload', () => {
	test('Response Format (a model the table does not know): refused naming the item and field, nothing sent', async () => {
		const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
		const run = await runEditImage(server, [{ json: { prompt: 'x' }, binary: { data: file(png, 'image/png', 'one.png') } }], {
			model: 'my-edit-model',
			parameters: BATCH,
			options: { responseFormat: 'b64_json' },
		});
		expect(run.error?.message).toBe(
			"[item 0] Options › Response Format: is not taken in Request Mode › Batch (a batch line is a JSON edit, which has no response_format; GPT image models return base64); remove it, or choose Request Mode › Direct",
		);
		expect(server.requests.filter((r) => r.kind !== 'models')).toHaveLength(0);
	});
});

describe('Image Batch prices a batch as the node that sent it did', () => {
	test('Prices per 1M Tokens on Create Image (Wait off): Get Results estimates with them, at half', async () => {
		server.set({ batchClock: 'manual', batchStepPerPoll: 0, imageMode: 'solid' });
		const prices = { textInput: 1, imageInput: 2, imageOutput: 4 };
		const created = await runCreateImage(server, [{ prompt: 'one' }], { parameters: { ...BATCH, batchWait: false }, options: { prices: JSON.stringify(prices) } });
		await server.advanceClock(HOUR);
		const done = await runImageBatch(created.result.map((item) => item.json), { operation: 'getResults', batchId: '={{ $json.batchId }}' });
		const [item] = done.outputs('Image Batch')[0];
		expect(item.json.estimatedCost).toMatchObject({ rates: { textInput: 0.5, imageInput: 1, imageOutput: 2 }, batch: true, source: 'Options › Prices per 1M Tokens' });
	});
});
