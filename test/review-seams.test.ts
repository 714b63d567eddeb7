/**
 * Seams between the batch, reference-edit, cost and output work (review of the merged branches):
 * Image Batch › Get Results pairs each result with the input item that named its request, and
 * batch mode keeps an item's own input error when the node fails as a whole afterwards.
 */
import type { IDataObject, INode, INodeParameters } from 'n8n-workflow';

import { startImageServer, type ImageServer } from './server';
import { chain, FIXTURE_TYPES, runWorkflow } from './helpers/engine';
import { errorMessage, file, itemError, openAiCredentials, runCreateImage, runEditImage } from './workflow';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => {
	server.reset();
	server.set({ flavor: 'openai', batchClock: 'manual', batchStepPerPoll: 0, batchTiming: { validatingMs: 2000, perLineMs: 500, finalizingMs: 2000, cancellingMs: 2000 }, imageMode: 'solid' });
});

const HOUR = 3_600_000;
const BATCH = { requestMode: 'batch' };

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
		const polls = () => server.requests.filter((r) => r.kind === 'batches' && r.method === 'GET');
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
