/**
 * The Edit Image node inside one real n8n host (run by create-image.ts's host suite): the
 * example Create Image -> Edit Image (examples/create-then-edit.workflow.json) and a refusal,
 * checked in the run data and in the multipart requests the image server received; the example
 * Edit Image from URLs (examples/edit-from-urls.workflow.json, its photo addresses swapped for
 * photos the image server serves) and the refusals of edits by reference
 * (e2e/fixtures/edit-refusals.workflow.json), checked in the JSON requests and in who downloaded
 * the photos.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

/** The URL example's rows (examples/edit-from-urls.workflow.json), in order. */
const URL_PRODUCTS = [
	{ sku: 'teapot', edit: 'Place this teapot on a marble counter by a sunny window' },
	{ sku: 'sneaker', edit: 'Show this shoe on a running track at sunrise' },
	{ sku: 'lamp', edit: 'Place this lamp on a desk in a cosy study at dusk' },
];

/** A photo the image server serves: its address, and its bytes (read once, before the workflows run). */
export interface Photo {
	url: string;
	bytes: Buffer;
}

/**
 * Three photos the image server serves without a login (GET /files/{id}.png, as its `url`
 * answers): made with dall-e-3 and response_format url, and read once now, so that every later
 * download of them is the image server's own. Returns them in order.
 */
export async function hostPhotos(images: ImageServer): Promise<Photo[]> {
	const photos: Photo[] = [];
	for (const sku of URL_PRODUCTS.map((product) => product.sku)) {
		const response = await fetch(`${images.baseUrl}/images/generations`, {
			method: 'POST',
			headers: { authorization: `Bearer ${images.apiKey}`, 'content-type': 'application/json' },
			body: JSON.stringify({ model: 'dall-e-3', prompt: `e2e photo: a ${sku} on white`, response_format: 'url', size: '1024x1024' }),
		});
		const body = (await response.json()) as { data?: Array<{ url?: string }> };
		assert.equal(response.status, 200, `photo for ${sku}: ${JSON.stringify(body).slice(0, 300)}`);
		const url = String(body.data?.[0]?.url);
		photos.push({ url, bytes: Buffer.from(await (await fetch(url)).arrayBuffer()) });
	}
	return photos;
}

/** The URL example with its placeholder photo addresses (https://example.com/photos/…) replaced by `photos`, in order. */
export function withPhotoUrls(path: string, photos: Photo[]): Record<string, unknown> {
	let text = readFileSync(path, 'utf8');
	URL_PRODUCTS.forEach((product, index) => {
		const placeholder = `https://example.com/photos/${product.sku}.png`;
		assert.ok(text.includes(placeholder), `${placeholder} is not in ${path}`);
		text = text.replace(placeholder, photos[index].url);
	});
	return JSON.parse(text) as Record<string, unknown>;
}

export interface EditSuiteInput {
	checks: Checks;
	example: Promise<ExecuteResult>;
	noFile: Promise<ExecuteResult>;
	urls: Promise<ExecuteResult>;
	refusals: Promise<ExecuteResult>;
	/** When each workflow's last run started: requests are told apart by it. */
	started: () => { example: number; urls: number };
	/** The photos the URL example edits (hostPhotos). */
	photos: () => Promise<Photo[]>;
	context: () => Promise<{ images: ImageServer; n8n: N8nInstance }>;
	succeeded: (result: ExecuteResult) => N8nRun;
	mustHaveRun: (result: ExecuteResult) => N8nRun;
	paired: (item: N8nItem) => number[];
}

/** The red, green and blue of an image's centre pixel. */
export async function centre(bytes: Buffer): Promise<number[]> {
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
		// (The URL example runs meanwhile: its requests have prompts of their own.)
		const sent = images.requests.filter((r) => r.kind === 'edit' && r.receivedAt >= input.started().example && PRODUCTS.some((p) => (r.body as { prompt?: string }).prompt === p.edit));
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

	await checks.check('Edit Image from URLs example: 3 edited PNG files at 1536x1024, each the photo of its item (negated by the server), paired', async () => {
		const { n8n } = await context();
		const run = succeeded(await input.urls);
		const photos = await input.photos();
		const edited = nodeOutput(run, NODE, 0);
		assert.equal(edited.length, 3, `Edit Image Result items: ${edited.length}`);
		for (const [i, item] of edited.entries()) {
			const file = item.binary?.data;
			assert.ok(file, `item ${i} has no binary "data"`);
			assert.equal(file.fileName, `${URL_PRODUCTS[i].sku}-in-scene.png`);
			assert.equal(file.mimeType, 'image/png');
			const bytes = n8n.readBinary(file);
			const { width, height } = await sharp(bytes).metadata();
			assert.deepEqual({ width, height }, { width: 1536, height: 1024 });
			assert.deepEqual(await centre(bytes), (await centre(photos[i].bytes)).map((channel) => 255 - channel), 'the edit is the photo of this item, negated');
			assert.equal(item.json.prompt, URL_PRODUCTS[i].edit);
			assert.deepEqual(paired(item), [i]);
		}
	});

	await checks.check('Edit Image from URLs example: JSON requests naming the photo addresses; only the image server downloaded the photos', async () => {
		const { images } = await context();
		const photos = (await input.photos()).map((photo) => photo.url);
		const since = input.started().urls;
		const sent = images.requests.filter((r) => r.kind === 'edit' && r.receivedAt >= since && URL_PRODUCTS.some((p) => (r.body as { prompt?: string }).prompt === p.edit));
		assert.equal(sent.length, 3, 'edit requests for the URL example');
		for (const [i, product] of URL_PRODUCTS.entries()) {
			const request = sent.find((r) => (r.body as { prompt?: string }).prompt === product.edit);
			assert.ok(request, `no edit request for ${product.sku}`);
			assert.match(request.headers['content-type'] ?? '', /^application\/json/);
			assert.deepEqual(request.body, { model: 'gpt-image-2', prompt: product.edit, images: [{ image_url: photos[i] }], size: '1536x1024', quality: 'low' });
			assert.deepEqual(request.imageFetches?.map((f) => [f.url, f.status]), [[photos[i], 200]], 'the server fetched the photo');
		}
		const photoPaths = photos.map((url) => new URL(url).pathname);
		const downloads = images.requests.filter((r) => r.kind === 'file' && r.receivedAt >= since && photoPaths.includes(r.path));
		assert.deepEqual(downloads.map((r) => r.origin), ['fetch', 'fetch', 'fetch'], 'downloads of the photos, by whom');
	});

	await checks.check('Edit Image by reference refuses before any request: 17 URLs, ftp://, an empty line, dall-e-2, Azure dated route; each error names item and field', async () => {
		const { images } = await context();
		const run = succeeded(await input.refusals);
		const expected: Record<string, [string, RegExp]> = {
			'Edit: 17 URLs': ['Image URLs', /^\[item 0\] Image URLs: 17 images are given; the API takes 1 to 16$/],
			'Edit: ftp Address': ['Image URLs', /^\[item 0\] Image URLs: line 1: "ftp:\/\/example\.com\/photos\/teapot\.png" is not accepted; accepted: an https:\/\/ or http:\/\/ address/],
			'Edit: Empty Line': ['Image URLs', /^\[item 0\] Image URLs: line 2 is empty; remove the empty line/],
			'Edit: DALL-E 2': ['Image Source', /^\[item 0\] Image Source: dall-e-2 is a DALL-E model, and DALL-E edits from binary files only/],
			'Edit: Azure Dated Route': ['Image Source', /^\[item 0\] Image Source: Azure OpenAI's image edit routes take image files only .*set Image Source to Binary/],
		};
		for (const [node, [field, message]] of Object.entries(expected)) {
			const items = nodeOutput(run, node, 0);
			assert.equal(items.length, 1, `${node}: ${items.length} items`);
			const error = items[0].json.error as { message?: string; field?: string; itemIndex?: number } | undefined;
			assert.match(String(error?.message), message, node);
			assert.deepEqual({ field: error?.field, itemIndex: error?.itemIndex }, { field, itemIndex: 0 }, node);
			assert.deepEqual(paired(items[0]), [0]);
		}
		const sent = images.requests.filter((r) => r.kind === 'edit' && String((r.body as { prompt?: string } | undefined)?.prompt).startsWith('ref-refused:'));
		assert.equal(sent.length, 0, 'edit requests sent');
	});
}
