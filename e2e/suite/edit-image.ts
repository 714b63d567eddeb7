/**
 * The Edit Image node inside one real n8n host (run by create-image.ts's host suite): the
 * example Create Image -> Edit Image (examples/create-then-edit.workflow.json) and a refusal,
 * checked in the run data and in the multipart requests the image server received.
 */
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { ImageServer } from '../../test/server';
import { nodeOutput, type ExecuteResult, type N8nInstance, type N8nItem, type N8nRun } from '../lib/n8n';
import type { Checks } from './runner';

const NODE = 'Edit Image';

/** What the example's Set node emits, one item per product. */
const PRODUCTS = [
	{ slug: 'teapot', edit: 'Put this teapot on a wooden kitchen table in warm morning light' },
	{ slug: 'sneaker', edit: 'Show this shoe on a wet city street at night, neon reflections' },
];

export interface EditSuiteInput {
	checks: Checks;
	example: Promise<ExecuteResult>;
	noFile: Promise<ExecuteResult>;
	/** When each workflow's last run started: requests are told apart by it. */
	started: () => { example: number };
	context: () => Promise<{ images: ImageServer; n8n: N8nInstance }>;
	succeeded: (result: ExecuteResult) => N8nRun;
	mustHaveRun: (result: ExecuteResult) => N8nRun;
	paired: (item: N8nItem) => number[];
}

async function centre(bytes: Buffer): Promise<number[]> {
	const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
	const at = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
	return [data[at], data[at + 1], data[at + 2]];
}

export async function runEditChecks(input: EditSuiteInput): Promise<void> {
	const { checks, context, succeeded, paired } = input;

	await checks.check('Create Image -> Edit Image example: the 2 edited images, recoloured created images at 1536x1024, paired', async () => {
		const { n8n } = await context();
		const run = succeeded(await input.example);
		const created = nodeOutput(run, 'Create Image', 0);
		const edited = nodeOutput(run, NODE, 0);
		assert.equal(edited.length, 2, `Edit Image Result items: ${edited.length}`);
		for (const [i, item] of edited.entries()) {
			const file = item.binary?.data;
			assert.ok(file, `item ${i} has no binary "data"`);
			assert.equal(file.fileName, `${PRODUCTS[i].slug}-in-scene.png`);
			assert.equal(file.mimeType, 'image/png');
			const bytes = n8n.readBinary(file);
			const { width, height } = await sharp(bytes).metadata();
			assert.deepEqual({ width, height }, { width: 1536, height: 1024 });
			const source = await centre(n8n.readBinary(created[i].binary!.data));
			assert.deepEqual(await centre(bytes), source.map((channel) => 255 - channel), 'the edit is the created image, negated by the server');
			assert.equal(item.json.prompt, PRODUCTS[i].edit);
			assert.deepEqual(paired(item), [i]);
		}
		assert.deepEqual(
			nodeOutput(run, 'Product Photos').map((item) => item.binary?.data?.fileName),
			['teapot.png', 'sneaker.png'],
			'Configuration passes the created images through',
		);
		assert.equal(nodeOutput(run, 'Edited Images').length, 2);
	});

	await checks.check('Create Image -> Edit Image example: multipart requests with the created files, as the API takes them', async () => {
		const { images } = await context();
		const sent = images.requests.filter((r) => r.kind === 'edit' && r.receivedAt >= input.started().example);
		assert.equal(sent.length, 2, 'edit requests for the example');
		for (const product of PRODUCTS) {
			const request = sent.find((r) => (r.body as { prompt?: string }).prompt === product.edit);
			assert.ok(request, `no edit request for ${product.slug}`);
			assert.match(request.headers['content-type'] ?? '', /^multipart\/form-data; boundary=/);
			assert.deepEqual(request.body, { model: 'gpt-image-2', prompt: product.edit, size: '1536x1024', quality: 'low' });
			assert.equal(request.files?.length, 1);
			assert.deepEqual({ ...request.files![0], size: undefined }, { name: 'image', fileName: `${product.slug}.png`, contentType: 'image/png', size: undefined });
			assert.ok(request.files![0].size > 0);
		}
	});

	await checks.check('Edit Image: an item without the named binary field fails before any request, naming item, field and what it has', async () => {
		const { images } = await context();
		const result = await input.noFile;
		assert.equal(result.exitCode, 1, `exit ${result.exitCode}`);
		const run = input.mustHaveRun(result);
		assert.match(run.data.resultData.error?.message ?? '', /^\[item 0\] Images: the item has no binary field "photo"; it has no binary fields/);
		const sent = images.requests.filter((r) => r.kind === 'edit' && String((r.body as { prompt?: string } | undefined)?.prompt).startsWith('edit-refused:'));
		assert.equal(sent.length, 0);
	});
}
