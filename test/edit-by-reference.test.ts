/**
 * Edit Image by reference (Image Source URL or File ID) inside n8n's engine, against the image
 * server on loopback, which takes POST /images/edits with a JSON body as the API reference
 * describes it (`images: [{image_url} | {file_id}]`, `mask`), downloads `image_url` addresses
 * itself and answers the first image negated. The photos live on a plain loopback web server that
 * records who asked for them: the node never does, the image server does.
 * Also Edit Image as an AI Agent tool ("Edit Image Tool").
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import sharp from 'sharp';

import { MAX_IMAGE_URL_LENGTH } from '../nodes/EditImage/references';
import { binaryBuffer, chain, FIXTURE_TYPES, loadPackageNodeTypes, runWorkflow, type RunResult } from './helpers/engine';
import { centre, close, negated, type Colour } from './helpers/pixels';
import { registerToolVariant } from './helpers/tool-variant';
import { startImageServer, type ImageServer } from './server';
import { EDIT_NODE, EDIT_NODE_TYPE, edits, errorMessage, itemError, openAiCredentials } from './workflow';

const types = loadPackageNodeTypes();
const TOOL_TYPE = registerToolVariant(types, EDIT_NODE_TYPE);

const RED: Colour = { r: 200, g: 30, b: 40 };
const GREEN: Colour = { r: 20, g: 180, b: 60 };
const BLUE: Colour = { r: 30, g: 60, b: 220 };

const solid = async (colour: Colour, width = 512, height = 512) =>
	await sharp({ create: { width, height, channels: 3, background: colour } }).png().toBuffer();


let server: ImageServer;
let photos: http.Server;
let photosUrl = '';
const photoRequests: Array<{ path: string; userAgent?: string }> = [];
const photoBytes = new Map<string, Buffer>();

beforeAll(async () => {
	server = await startImageServer();
	photoBytes.set('/red.png', await solid(RED));
	photoBytes.set('/green.png', await solid(GREEN));
	photoBytes.set('/blue.png', await solid(BLUE));
	photoBytes.set('/mask.png', await sharp({ create: { width: 512, height: 512, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer());
	photos = http.createServer((req, res) => {
		photoRequests.push({ path: req.url ?? '', userAgent: req.headers['user-agent'] });
		const bytes = photoBytes.get(req.url ?? '');
		res.writeHead(bytes ? 200 : 404, { 'content-type': bytes ? 'image/png' : 'text/plain' });
		res.end(bytes ?? 'not found');
	});
	await new Promise<void>((resolve) => photos.listen(0, '127.0.0.1', resolve));
	photosUrl = `http://127.0.0.1:${(photos.address() as AddressInfo).port}`;
});
afterAll(async () => {
	await server.close();
	await new Promise((resolve) => photos.close(resolve));
});
beforeEach(() => {
	server.reset();
	photoRequests.length = 0;
});

const photo = (name: string) => `${photosUrl}/${name}.png`;

interface RefSettings {
	parameters?: IDataObject;
	options?: IDataObject;
	model?: string;
	onError?: 'continueRegularOutput' | 'continueErrorOutput';
	credentials?: IDataObject;
}

type Run = RunResult & { result: INodeExecutionData[] };

/** [Prepare (emits `rows`) -> Edit Image] with Image Source URL by default; the node's Result output. */
async function runRefEdit(rows: IDataObject[], settings: RefSettings = {}): Promise<Run> {
	const node = {
		name: EDIT_NODE,
		type: EDIT_NODE_TYPE,
		parameters: {
			model: { __rl: true, mode: 'id', value: settings.model ?? 'gpt-image-2' },
			prompt: '={{ $json.prompt }}',
			imageSource: 'url',
			imageUrls: '={{ $json.photoUrl }}',
			options: settings.options ?? {},
			...settings.parameters,
		},
		credentials: {
			openAiImagesApi: { id: '1', name: 'Image server' },
			azureOpenAiImagesApi: { id: '2', name: 'Azure image server' },
		},
		...(settings.onError ? { onError: settings.onError } : {}),
	} as Parameters<typeof runWorkflow>[0]['nodes'][number];
	const run = await runWorkflow({
		nodeTypes: types,
		nodes: [{ name: 'Prepare', type: FIXTURE_TYPES.emitItems, parameters: { items: JSON.stringify(rows.map((json) => ({ json }))) } }, node],
		connections: chain('Prepare', EDIT_NODE),
		startNode: 'Prepare',
		credentials: { ...openAiCredentials(server), ...(settings.credentials as object) },
	});
	const [result = []] = run.executedNodes.includes(EDIT_NODE) && !run.nodeError(EDIT_NODE) ? run.outputs(EDIT_NODE) : [];
	return Object.assign(run, { result });
}

/** The edit requests' JSON bodies without the (long) prompt-independent parts. */
const sentBodies = () => edits(server).map((request) => request.body as IDataObject);

describe('edits by image URL', () => {
	test('3 items with photo URLs from {{ $json.photoUrl }}: 3 JSON requests with the URLs, 3 edited PNGs paired in order; the node downloads nothing', async () => {
		const rows = ['red', 'green', 'blue'].map((name) => ({ prompt: `put the ${name} one on a table`, photoUrl: photo(name) }));
		const run = await runRefEdit(rows);

		expect(run.error?.message).toBeUndefined();
		const sent = edits(server);
		expect(sent).toHaveLength(3);
		for (const request of sent) expect(request.headers['content-type']).toMatch(/^application\/json/);
		const byPrompt = new Map(sent.map((request) => [(request.body as IDataObject).prompt, request.body]));
		for (const row of rows) {
			expect(byPrompt.get(row.prompt)).toEqual({ model: 'gpt-image-2', prompt: row.prompt, images: [{ image_url: row.photoUrl }] });
		}
		expect(run.result).toHaveLength(3);
		for (const [index, colour] of [RED, GREEN, BLUE].entries()) {
			const item = run.result[index];
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.binary!.data.mimeType).toBe('image/png');
			expect(close(await centre(await binaryBuffer(item)), negated(colour))).toBe(true);
		}
		// Every download of a photo was the image server's own, none the node's.
		expect(photoRequests.map((request) => request.path).sort()).toEqual(['/blue.png', '/green.png', '/red.png']);
		for (const request of photoRequests) expect(request.userAgent).toBe('image-server-fetcher/1.0');
	});

	test('several URLs one per line, in order, with a mask URL and the edit options: sent with the API names and the same checks', async () => {
		const run = await runRefEdit([{ prompt: 'combine them' }], {
			model: 'gpt-image-1.5',
			parameters: { imageUrls: `${photo('green')}\n${photo('red')}\r\n${photo('blue')}\n` },
			options: { maskUrl: photo('mask'), size: '1024x1536', quality: 'low', outputFormat: 'webp', outputCompression: 70, background: 'opaque', inputFidelity: 'low', user: 'u-7', n: 2 },
		});

		expect(run.error?.message).toBeUndefined();
		expect(sentBodies()).toEqual([
			{
				model: 'gpt-image-1.5',
				prompt: 'combine them',
				images: [{ image_url: photo('green') }, { image_url: photo('red') }, { image_url: photo('blue') }],
				mask: { image_url: photo('mask') },
				input_fidelity: 'low',
				size: '1024x1536',
				quality: 'low',
				output_format: 'webp',
				output_compression: 70,
				background: 'opaque',
				user: 'u-7',
				n: 2,
			},
		]);
		expect(run.result).toHaveLength(2);
		expect(run.result[0].binary!.data.mimeType).toBe('image/webp');
		// The first image is the one edited: green, negated.
		expect(close(await centre(await binaryBuffer(run.result[0])), negated(GREEN))).toBe(true);
	});

	test('an expression giving a list, and a base64 data URL: sent as they are', async () => {
		const dataUrl = `data:image/png;base64,${photoBytes.get('/blue.png')!.toString('base64')}`;
		const run = await runRefEdit([{ prompt: 'two', urls: [dataUrl, photo('red')] }], { parameters: { imageUrls: '={{ $json.urls }}' } });

		expect(run.error?.message).toBeUndefined();
		expect(sentBodies()[0].images).toEqual([{ image_url: dataUrl }, { image_url: photo('red') }]);
		expect(close(await centre(await binaryBuffer(run.result[0])), negated(BLUE))).toBe(true);
		expect(photoRequests.map((request) => request.path)).toEqual(['/red.png']);
	});

	test('Result Format Raw Response: the answer as it came, for a JSON edit', async () => {
		const run = await runRefEdit([{ prompt: 'raw', photoUrl: photo('red') }], { parameters: { resultFormat: 'rawResponse' } });

		expect(run.error?.message).toBeUndefined();
		expect(run.result).toHaveLength(1);
		expect(run.result[0].json.status).toBe(200);
		const data = (run.result[0].json.body as { data: Array<{ b64_json?: string }> }).data;
		expect(typeof data[0].b64_json).toBe('string');
		expect(close(await centre(Buffer.from(data[0].b64_json!, 'base64')), negated(RED))).toBe(true);
		expect(run.result[0].binary).toBeUndefined();
	});

	test('Stream with Partial Images: a streamed JSON edit gives the previews, then the final image', async () => {
		const run = await runRefEdit([{ prompt: 'stream it', photoUrl: photo('green') }], { options: { stream: true, partialImages: 2 } });

		expect(run.error?.message).toBeUndefined();
		expect(sentBodies()[0]).toEqual({ model: 'gpt-image-2', prompt: 'stream it', images: [{ image_url: photo('green') }], stream: true, partial_images: 2 });
		expect(run.result.map((item) => item.json.partialImageIndex)).toEqual([0, 1, undefined]);
		expect(close(await centre(await binaryBuffer(run.result[2])), negated(GREEN))).toBe(true);
	});
});

describe('edits by file id', () => {
	test('Image File IDs and Mask File ID: sent as file_id references, the uploaded image edited', async () => {
		const image = await server.addStoredFile(photoBytes.get('/red.png')!, 'red.png', 'vision');
		const second = await server.addStoredFile(photoBytes.get('/blue.png')!, 'blue.png', 'user_data');
		const mask = await server.addStoredFile(photoBytes.get('/mask.png')!, 'mask.png', 'vision');
		const run = await runRefEdit([{ prompt: 'by id', ids: `${image.id}\n${second.id}` }], {
			parameters: { imageSource: 'fileId', imageFileIds: '={{ $json.ids }}', imageUrls: undefined },
			options: { maskFileId: mask.id },
		});

		expect(run.error?.message).toBeUndefined();
		expect(sentBodies()).toEqual([{ model: 'gpt-image-2', prompt: 'by id', images: [{ file_id: image.id }, { file_id: second.id }], mask: { file_id: mask.id } }]);
		expect(close(await centre(await binaryBuffer(run.result[0])), negated(RED))).toBe(true);
		expect(photoRequests).toHaveLength(0);
	});
});

describe('refused before any request, every item first', () => {
	const seventeen = Array.from({ length: 17 }, (_, index) => `${photosUrl}/p${index}.png`).join('\n');
	test.each([
		['17 URLs', () => ({ parameters: { imageUrls: seventeen } }), /^\[item 0\] Image URLs: 17 images are given; the API takes 1 to 16$/],
		['an ftp:// address', () => ({ parameters: { imageUrls: 'ftp://example.com/photo.png' } }), /^\[item 0\] Image URLs: line 1: "ftp:\/\/example\.com\/photo\.png" is not accepted; accepted: an https:\/\/ or http:\/\/ address, or a data:image\/png\|jpeg\|webp;base64,… data URL$/],
		['an empty line', () => ({ parameters: { imageUrls: `${photo('red')}\n\n${photo('green')}` } }), /^\[item 0\] Image URLs: line 2 is empty; remove the empty line/],
		['an empty entry of a list', () => ({ parameters: { imageUrls: `={{ ["${photo('red')}", ""] }}` } }), /^\[item 0\] Image URLs: entry 2 is empty/],
		['no address (an expression giving nothing)', () => ({ parameters: { imageUrls: '={{ $json.none }}' } }), /^\[item 0\] Image URLs: no image address is given; give 1 to 16, one per line/],
		['a GIF data URL', () => ({ parameters: { imageUrls: 'data:image/gif;base64,R0lGODlh' } }), /^\[item 0\] Image URLs: line 1: "data:image\/gif;base64,R0lGODlh" is not accepted: a data URL must be base64 PNG, JPEG or WEBP/],
		['a relative address, cut short', () => ({ parameters: { imageUrls: `photos/${'x'.repeat(100)}.png` } }), /^\[item 0\] Image URLs: line 1: "photos\/x{52}…" is not accepted/],
		['dall-e-2 with URLs', () => ({ model: 'dall-e-2' }), /^\[item 0\] Image Source: dall-e-2 is a DALL-E model, and DALL-E edits from binary files only \(never from image URLs or file ids\); set Image Source to Binary/],
		['dall-e-3 with file ids', () => ({ model: 'dall-e-3', parameters: { imageSource: 'fileId', imageFileIds: 'file-1' } }), /^\[item 0\] Image Source: dall-e-3 is a DALL-E model, and DALL-E edits from binary files only/],
		// (Shown for model ids the node does not know; n8n drops options the panel hides before the node runs.)
		['Response Format with URLs', () => ({ model: 'my-image-model', options: { responseFormat: 'b64_json' } }), /^\[item 0\] Options › Response Format: is not taken by edits by reference/],
		['a file id with blank space', () => ({ parameters: { imageSource: 'fileId', imageFileIds: 'file 1' } }), /^\[item 0\] Image File IDs: line 1: "file 1" is not a file id/],
		['an address given as a file id', () => ({ parameters: { imageSource: 'fileId', imageFileIds: 'https://example.com/a.png' } }), /^\[item 0\] Image File IDs: line 1: "https:\/\/example\.com\/a\.png" is an address, not a file id \(e\.g\. file-abc123\); for addresses choose Image Source › URL$/],
		['an unknown Image Source', () => ({ parameters: { imageSource: 'ftp' } }), /^\[item 0\] Image Source: "ftp" is not accepted; accepted: binary, url, fileId$/],
		['a mask URL that is not an address', () => ({ options: { maskUrl: 'mask.png' } }), /^\[item 0\] Options › Mask URL: "mask\.png" is not accepted/],
	])('%s', async (_name, settings, message) => {
		const run = await runRefEdit([{ prompt: 'edit', photoUrl: photo('red') }], settings());
		expect(run.error?.message).toMatch(message);
		expect(edits(server)).toHaveLength(0);
		expect(photoRequests).toHaveLength(0);
	});

	test('a data URL over 20,971,520 characters', async () => {
		const dataUrl = `data:image/png;base64,${'A'.repeat(MAX_IMAGE_URL_LENGTH)}`;
		const run = await runRefEdit([{ prompt: 'big', urls: [dataUrl] }], { parameters: { imageUrls: '={{ $json.urls }}' } });
		expect(run.error?.message).toBe(`[item 0] Image URLs: entry 1: the data URL is ${(MAX_IMAGE_URL_LENGTH + 22).toLocaleString('en-US')} characters long; the API takes at most 20,971,520 (give an https:// address instead)`);
		expect(edits(server)).toHaveLength(0);
	});

	test.each(['deployments', 'v1'] as const)('Azure OpenAI (%s route): refused, saying to use Image Source Binary', async (apiStyle) => {
		const run = await runRefEdit([{ prompt: 'azure', photoUrl: photo('red') }], {
			parameters: { authentication: 'azureOpenAiImagesApi' },
			credentials: { azureOpenAiImagesApi: { endpoint: server.url, apiKey: server.apiKey, apiStyle, apiVersion: '2025-04-01-preview' } },
		});
		expect(run.error?.message).toMatch(/^\[item 0\] Image Source: Azure OpenAI's image edit routes take image files only \(Microsoft documents no image URLs or file ids for them\); set Image Source to Binary/);
		expect(server.requests.filter((request) => request.kind === 'edit')).toHaveLength(0);
	});

	test('continue on fail: the bad item is an error item in its place, naming field and line; the others are edited; only they are sent', async () => {
		const rows = [
			{ prompt: 'one', photoUrl: photo('red') },
			{ prompt: 'two', photoUrl: 'ftp://example.com/b.png' },
			{ prompt: 'three', photoUrl: photo('blue') },
		];
		const run = await runRefEdit(rows, { onError: 'continueRegularOutput' });
		expect(run.result).toHaveLength(3);
		expect(run.result.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(errorMessage(run.result[1])).toMatch(/^\[item 1\] Image URLs: line 1: "ftp:\/\/example\.com\/b\.png" is not accepted/);
		expect(itemError(run.result[1])?.field).toBe('Image URLs');
		expect(run.result[0].binary?.data).toBeDefined();
		expect(run.result[2].binary?.data).toBeDefined();
		expect(sentBodies().map((body) => body.prompt).sort()).toEqual(['one', 'three']);
	});
});

describe('the binary path is unchanged', () => {
	test('a workflow saved before Image Source existed (no imageSource) still edits its binary files, multipart', async () => {
		const run = await runWorkflow({
			nodeTypes: types,
			nodes: [
				{
					name: 'Prepare',
					type: FIXTURE_TYPES.emitItems,
					parameters: { items: JSON.stringify([{ json: { prompt: 'old' }, binary: { data: { data: photoBytes.get('/red.png')!.toString('base64'), mimeType: 'image/png', fileName: 'r.png' } } }]) },
				},
				{
					name: EDIT_NODE,
					type: EDIT_NODE_TYPE,
					parameters: { model: { __rl: true, mode: 'id', value: 'gpt-image-2' }, prompt: '={{ $json.prompt }}', images: 'data', options: {} },
					credentials: { openAiImagesApi: { id: '1', name: 'Image server' } },
				},
			],
			connections: chain('Prepare', EDIT_NODE),
			startNode: 'Prepare',
			credentials: openAiCredentials(server),
		});
		expect(run.error?.message).toBeUndefined();
		expect(edits(server)[0].headers['content-type']).toMatch(/^multipart\/form-data/);
		expect(edits(server)[0].files?.map((part) => part.name)).toEqual(['image']);
	});
});

describe('Edit Image Tool (AI Agent)', () => {
	async function callTool(args: IDataObject, parameters: IDataObject = {}, onError?: 'stopWorkflow') {
		const run = await runWorkflow({
			nodeTypes: types,
			nodes: [
				{
					name: 'Edit Image Tool',
					type: TOOL_TYPE,
					parameters: {
						model: { __rl: true, mode: 'id', value: 'gpt-image-2' },
						prompt: "={{ $fromAI('prompt', 'How to change the image', 'string') }}",
						imageUrls: "={{ $fromAI('imageUrls', 'The image URLs, one per line', 'string') }}",
						options: {},
						...parameters,
					},
					credentials: { openAiImagesApi: { id: '1', name: 'Image server' } },
					...(onError ? { onError } : {}),
				},
			],
			connections: {},
			startNode: 'Edit Image Tool',
			input: [{ json: { ...args, toolCallId: 'call_1' } }],
			credentials: openAiCredentials(server),
			binaryDataMode: 'filesystem',
		});
		const outputs = run.executedNodes.includes('Edit Image Tool') && !run.nodeError('Edit Image Tool') ? run.outputs('Edit Image Tool') : [];
		return Object.assign(run, { answer: outputs[0] ?? [], outputCount: outputs.length });
	}

	test('the model gives the prompt and an image URL: the source defaults to URL, the edit is a JSON request, the model gets a short JSON and the file stays on the item', async () => {
		const run = await callTool({ prompt: 'make it blue', imageUrls: photo('red') });

		expect(run.error?.message).toBeUndefined();
		expect(run.outputCount).toBe(1);
		expect(sentBodies()).toEqual([{ model: 'gpt-image-2', prompt: 'make it blue', images: [{ image_url: photo('red') }] }]);
		const [answer] = run.answer;
		expect(answer.json).toEqual({
			fileName: expect.stringMatching(/\.png$/),
			mimeType: 'image/png',
			bytes: expect.any(Number),
			width: 512,
			height: 512,
			model: 'gpt-image-2',
			note: expect.stringMatching(/^The image was delivered to the workflow as the file .*You have no link to it/),
		});
		expect(JSON.stringify(answer.json).length).toBeLessThan(600);
		expect(close(await centre(await binaryBuffer(answer)), negated(RED))).toBe(true);
	});

	test('Image Link for the Agent = Signed URL: the model gets a link to the edited file', async () => {
		const run = await callTool({ prompt: 'link it', imageUrls: photo('green') }, { imageLinkForAgent: 'signedUrl' });
		expect(run.error?.message).toBeUndefined();
		expect(run.answer[0].json.link).toMatch(/^http:\/\/127\.0\.0\.1:5678\/.*binary-data\/signed/);
	});

	test('a bad address from the model: one short error item it can act on, nothing sent', async () => {
		const run = await callTool({ prompt: 'x', imageUrls: 'ftp://example.com/a.png' });
		expect(run.answer).toHaveLength(1);
		expect(run.answer[0].json).toEqual({
			error: 'Image URLs: line 1: "ftp://example.com/a.png" is not accepted; accepted: an https:// or http:// address, or a data:image/png|jpeg|webp;base64,… data URL',
		});
		expect(edits(server)).toHaveLength(0);
	});

	test('Image Source Binary in a tool: refused, a tool call carries no files', async () => {
		const run = await callTool({ prompt: 'x' }, { imageSource: 'binary' });
		expect(run.answer[0].json.error).toBe('Image Source: an AI Agent tool call carries no files; set Image Source to URL (or File ID) and let the model give the image addresses');
		expect(edits(server)).toHaveLength(0);
	});
});
