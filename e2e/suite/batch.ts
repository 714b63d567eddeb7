/**
 * Request Mode › Batch and the Image Batch node inside one real n8n host (run by create-image.ts's
 * host suite, after its other workflows): 200 items through Create Image in batch mode, Edit
 * Image in batch mode with binaries and a URL, and Wait off followed by a second workflow with
 * Image Batch › Get Results. The image server runs its batches on its real-time clock, with short
 * phases (the node polls as it would against OpenAI, seconds at first).
 */
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { ImageServer } from '../../test/server';
import { nodeOutput, type ExecuteResult, type N8nInstance, type N8nItem, type N8nRun } from '../lib/n8n';
import type { Checks } from './runner';

export interface BatchSuiteInput {
	checks: Checks;
	context: () => Promise<{ images: ImageServer; n8n: N8nInstance }>;
	succeeded: (result: ExecuteResult) => N8nRun;
	paired: (item: N8nItem) => number[];
	/** Credential id and name the workflows use (imported by the host suite). */
	credential: { id: string; name: string };
}

const CREATE = 'n8n-nodes-create-image.createImage';
const EDIT = 'n8n-nodes-create-image.editImage';
const IMAGE_BATCH = 'n8n-nodes-create-image.imageBatch';

let counter = 0;

/** A workflow: Start -> Items (a Set node emitting `{ items: [...] }`) -> Split -> the given nodes in a line. */
function workflow(name: string, items: unknown[], nodes: Array<Record<string, unknown>>, credential: BatchSuiteInput['credential']): Record<string, unknown> {
	const id = `e2eBatch${++counter}${Date.now().toString(36)}`;
	const all: Array<Record<string, unknown>> = [
		{ id: `${id}-start`, name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
		{
			id: `${id}-items`,
			name: 'Items',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [220, 0],
			parameters: { mode: 'raw', jsonOutput: JSON.stringify({ items }), options: {} },
		},
		{ id: `${id}-split`, name: 'Split', type: 'n8n-nodes-base.splitOut', typeVersion: 1, position: [440, 0], parameters: { fieldToSplitOut: 'items', options: {} } },
		...nodes.map((node, i) => ({
			id: `${id}-${i}`,
			typeVersion: 1,
			position: [660 + i * 220, 0],
			credentials: { openAiImagesApi: credential },
			...node,
		})),
	];
	const names = all.map((node) => node.name as string);
	const connections = Object.fromEntries(names.slice(0, -1).map((from, i) => [from, { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] }]));
	return { id, name, nodes: all, connections, settings: { executionOrder: 'v1' } };
}

const model = { __rl: true, mode: 'id', value: 'gpt-image-2' };

async function runOne(n8n: N8nInstance, data: Record<string, unknown>): Promise<ExecuteResult> {
	const [id] = await n8n.importWorkflows([data]);
	return await n8n.execute(id);
}

export async function runBatchChecks(input: BatchSuiteInput): Promise<void> {
	const { checks, context, succeeded, paired, credential } = input;
	const ready = (async () => {
		const { images } = await context();
		// The other workflows have finished: small images and short batch phases from here on.
		images.set({ imageMode: 'solid', batchClock: 1, batchTiming: { validatingMs: 500, perLineMs: 0, finalizingMs: 500, cancellingMs: 500 } });
	})();

	await checks.check('Batch: 200 items through Create Image in batch mode -> 200 files in input order, one batch, files deleted', async () => {
		await ready;
		const { images, n8n } = await context();
		const before = images.batches.length;
		const items = Array.from({ length: 200 }, (_, n) => ({ n, prompt: `batch-200: poster number ${n}` }));
		const result = succeeded(
			await runOne(
				n8n,
				workflow('e2e: 200 items in batch mode', items, [
					{
						name: 'Create Image',
						type: CREATE,
						parameters: { model, prompt: '={{ $json.prompt }}', requestMode: 'batch', options: { size: '1024x1024', quality: 'low', fileName: "={{ 'poster-' + $json.n }}" } },
					},
				], credential),
			),
		);
		const out = nodeOutput(result, 'Create Image', 0);
		assert.equal(out.length, 200, `Result items: ${out.length}`);
		const batch = images.batches[before];
		assert.ok(batch, 'a batch on the server');
		assert.equal(images.batches.length, before + 1, 'one batch');
		assert.notDeepEqual(batch.order, items.map((_, n) => `item-${n}-0`), 'the server ran the lines shuffled');
		out.forEach((item, n) => {
			assert.equal(item.binary?.data?.fileName, `poster-${n}.png`);
			assert.equal(item.json.prompt, items[n].prompt);
			assert.equal(item.json.customId, `item-${n}-0`);
			assert.equal(item.json.batchId, batch.id);
			assert.deepEqual(paired(item), [n]);
		});
		const png = n8n.readBinary(out[199].binary!.data);
		assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
		assert.equal(images.requests.filter((r) => r.kind === 'generation' && r.origin === 'client' && String((r.body as { prompt?: string })?.prompt).startsWith('batch-200:')).length, 0, 'no direct requests');
		const own = images.storedFiles.filter((file) => file.id === batch.object.input_file_id || file.id === batch.object.output_file_id);
		assert.deepEqual(own.map((file) => file.deleted), [true, true], 'input and output files deleted');
	});

	await checks.check('Batch: Edit Image in batch mode with binaries (the same bytes uploaded once, by file_id) and a URL (as it is), in input order', async () => {
		await ready;
		const { images, n8n } = await context();
		const before = images.batches.length;
		const green = await sharp({ create: { width: 1024, height: 1024, channels: 3, background: { r: 20, g: 180, b: 60 } } }).png().toBuffer();
		const url = `data:image/png;base64,${green.toString('base64')}`;
		const items = [
			{ prompt: 'batch-edit: a red mug', edit: 'on a table', url: '' },
			{ prompt: 'batch-edit: a blue chair', edit: 'in a garden', url: '' },
			{ prompt: 'batch-edit: by-url', edit: 'by its URL', url },
		];
		const result = succeeded(
			await runOne(
				n8n,
				workflow('e2e: Edit Image in batch mode', items, [
					{ name: 'Create Image', type: CREATE, parameters: { model, prompt: '={{ $json.prompt }}', options: { size: '1024x1024', quality: 'low' } } },
					{
						name: 'Edit Image',
						type: EDIT,
						parameters: {
							model,
							prompt: "={{ $('Split').item.json.edit }}",
							requestMode: 'batch',
							imageSource: "={{ $('Split').item.json.url ? 'url' : 'binary' }}",
							imageUrls: "={{ $('Split').item.json.url }}",
							imageFileIds: '={{ "" }}',
							images: 'data',
							options: { size: '1024x1024' },
						},
					},
				], credential),
			),
		);
		const out = nodeOutput(result, 'Edit Image', 0);
		assert.deepEqual(out.map((item) => [item.json.prompt, item.json.customId, paired(item)]), items.map((item, i) => [item.edit, `item-${i}-0`, [i]]));
		const batch = images.batches[before];
		assert.equal(batch.object.endpoint, '/v1/images/edits');
		const refs = batch.lines.map((line) => line.body.images as Array<{ file_id?: string; image_url?: string }>);
		// The server's solid images are the same bytes: the two binaries are one upload, referenced twice.
		const same = n8n.readBinary(nodeOutput(result, 'Create Image', 0)[0].binary!.data).equals(n8n.readBinary(nodeOutput(result, 'Create Image', 0)[1].binary!.data));
		assert.ok(same, 'the two created images are the same bytes (solid mode)');
		assert.ok(refs[0][0].file_id, `file ids: ${JSON.stringify(refs)}`);
		assert.equal(refs[1][0].file_id, refs[0][0].file_id, 'the same bytes are uploaded once');
		assert.equal(refs[2][0].image_url, url);
		const uploads = images.storedFiles.filter((file) => file.id === refs[0][0].file_id);
		assert.deepEqual(uploads.map((file) => [file.purpose, file.deleted]), [['vision', true]]);
	});

	await checks.check('Batch: Wait off gives one item per input item with its batch ID; a second workflow gets the results with Image Batch', async () => {
		await ready;
		const { images, n8n } = await context();
		const items = [{ prompt: 'batch-later: a kite' }, { prompt: 'batch-later: a boat' }, { prompt: 'batch-later: a tent' }];
		const first = succeeded(
			await runOne(
				n8n,
				workflow('e2e: batch, Wait off', items, [
					{ name: 'Create Image', type: CREATE, parameters: { model, prompt: '={{ $json.prompt }}', requestMode: 'batch', batchWait: false, options: { size: '1024x1024' } } },
				], credential),
			),
		);
		const handed = nodeOutput(first, 'Create Image', 0);
		assert.deepEqual(handed.map((item) => [item.json.customIds, item.json.requests, item.json.model, paired(item)]), items.map((_, i) => [[`item-${i}-0`], 1, 'gpt-image-2', [i]]));
		const batchId = String(handed[0].json.batchId);
		assert.ok(handed.every((item) => item.json.batchId === batchId), 'one batch');
		const batch = images.batches.find((b) => b.id === batchId)!;
		for (let i = 0; i < 100 && batch.object.status !== 'completed'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
		assert.equal(batch.object.status, 'completed');
		const second = succeeded(
			await runOne(
				n8n,
				workflow('e2e: Image Batch, Get Results', handed.map((item) => item.json), [
					{ name: 'Image Batch', type: IMAGE_BATCH, parameters: { operation: 'getResults', batchId: '={{ $json.batchId }}' } },
				], credential),
			),
		);
		const got = nodeOutput(second, 'Image Batch', 0);
		assert.deepEqual(got.map((item) => [item.json.prompt, item.json.itemIndex, item.json.customId, item.binary?.data?.fileName]), items.map((item, i) => [item.prompt, i, `item-${i}-0`, `image_${i}_0.png`]));
		const png = n8n.readBinary(got[0].binary!.data);
		assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
	});
}
