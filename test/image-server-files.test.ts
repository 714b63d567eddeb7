/**
 * The image server's Files API (test/server/files.ts) with the openai SDK as the client, and its
 * JSON edits by reference (test/server/jsonEdits.ts: `images: [{image_url} | {file_id}]`), which
 * the SDK's types do not model, with raw HTTP.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';

import { startImageServer, type ImageServer } from './server';
import { apiError, centre, solid } from './helpers/openai-client';

let server: ImageServer;
let client: OpenAI;
/** A plain loopback web server the JSON edits' image_url addresses point at; it records what it was asked. */
let photos: http.Server;
let photosUrl = '';
const photoRequests: Array<{ path: string; authorization?: string }> = [];
const photoBytes = new Map<string, Buffer>();

beforeAll(async () => {
	server = await startImageServer();
	client = new OpenAI({ apiKey: server.apiKey, baseURL: server.baseUrl, maxRetries: 0 });
	photoBytes.set('/red.png', await solid(1024, 1024, { r: 200, g: 30, b: 40 }));
	photoBytes.set('/green.png', await solid(512, 512, { r: 20, g: 180, b: 40 }));
	photoBytes.set('/blue.jpg', await sharp(await solid(256, 256, { r: 20, g: 30, b: 200 })).jpeg().toBuffer());
	photos = http.createServer((req, res) => {
		photoRequests.push({ path: req.url ?? '', authorization: req.headers.authorization });
		const bytes = photoBytes.get(req.url ?? '');
		if (!bytes) {
			res.writeHead(404).end('not found');
			return;
		}
		res.writeHead(200, { 'content-type': req.url?.endsWith('.jpg') ? 'image/jpeg' : 'image/png' }).end(bytes);
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

describe('Files API through the openai SDK', () => {
	test('upload, retrieve, list, content, delete; the test sees what was uploaded and deleted', async () => {
		const png = await solid(64, 64, { r: 1, g: 2, b: 3 });
		const created = await client.files.create({ file: await toFile(png, 'photo.png', { type: 'image/png' }), purpose: 'vision' });
		expect(created).toEqual({
			id: expect.stringMatching(/^file-[0-9a-f]{24}$/),
			object: 'file',
			bytes: png.length,
			created_at: expect.any(Number),
			filename: 'photo.png',
			purpose: 'vision',
			status: 'processed',
			status_details: null,
		});
		const lines = '{"custom_id":"a"}\n';
		const batchFile = await client.files.create({ file: await toFile(Buffer.from(lines), 'input.jsonl'), purpose: 'batch', expires_after: { anchor: 'created_at', seconds: 7200 } });
		expect(batchFile.expires_at).toBe(batchFile.created_at + 7200);

		expect(await client.files.retrieve(created.id)).toEqual(created);
		const listed = [];
		for await (const file of client.files.list()) listed.push(file.id);
		expect(listed).toEqual([batchFile.id, created.id]);
		const onlyBatch = [];
		for await (const file of client.files.list({ purpose: 'batch' })) onlyBatch.push(file.id);
		expect(onlyBatch).toEqual([batchFile.id]);
		expect(Buffer.from(await (await client.files.content(created.id)).arrayBuffer()).equals(png)).toBe(true);
		expect(await (await client.files.content(batchFile.id)).text()).toBe(lines);

		expect(await client.files.delete(created.id)).toEqual({ id: created.id, object: 'file', deleted: true });
		const gone = await apiError(client.files.retrieve(created.id));
		expect([gone.status, gone.message]).toEqual([404, `404 No such File object: ${created.id}`]);
		expect(server.storedFiles.map((f) => [f.id, f.purpose, f.deleted, f.origin])).toEqual([
			[created.id, 'vision', true, 'upload'],
			[batchFile.id, 'batch', false, 'upload'],
		]);
		expect((await server.readStoredFile(batchFile.id)).toString()).toBe(lines);
	});

	test.each([
		['a batch file that is not .jsonl', { purpose: 'batch' as const, name: 'input.txt' }, 'file', /Must be \.jsonl/],
		['an unknown purpose', { purpose: 'pictures' as 'vision', name: 'a.png' }, 'purpose', /Invalid value: 'pictures'\. Supported values are: 'assistants', 'batch'/],
		['a vision file that is not an image', { purpose: 'vision' as const, name: 'a.png', text: 'hello' }, 'file', /purpose vision/],
		['expires_after under one hour', { purpose: 'batch' as const, name: 'a.jsonl', expires: 60 }, 'expires_after.seconds', /between 3600/],
	])('refuses %s', async (_name, c, param, message) => {
		const data = 'text' in c ? Buffer.from(c.text as string) : await solid(8, 8, { r: 0, g: 0, b: 0 });
		const expires = 'expires' in c ? { expires_after: { anchor: 'created_at' as const, seconds: c.expires as number } } : {};
		const error = await apiError(client.files.create({ file: await toFile(data, c.name), purpose: c.purpose, ...expires }));
		expect([error.status, (error.error as { param?: string }).param]).toEqual([400, param]);
		expect(error.message).toMatch(message);
		expect(server.storedFiles).toHaveLength(0);
	});

	test('a wrong key gets 401 and stores nothing', async () => {
		const other = new OpenAI({ apiKey: 'sk-wrong-key-000000', baseURL: server.baseUrl, maxRetries: 0 });
		const error = await apiError(other.files.create({ file: await toFile(Buffer.from('{}\n'), 'a.jsonl'), purpose: 'batch' }));
		expect(error.status).toBe(401);
		expect(server.storedFiles).toHaveLength(0);
	});
});

describe('JSON edits by reference', () => {
	const editJson = async (body: unknown) => {
		const response = await fetch(`${server.baseUrl}/images/edits`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` },
			body: JSON.stringify(body),
		});
		return { status: response.status, body: (await response.json()) as { data?: Array<{ b64_json: string }>; size?: string; error?: { message: string; param: string | null; code: string | null } } };
	};

	test('three URLs: fetched in order without a login, the edit starts from the first', async () => {
		const urls = [`${photosUrl}/red.png`, `${photosUrl}/green.png`, `${photosUrl}/blue.jpg`];
		const answer = await editJson({ model: 'gpt-image-2', prompt: 'night', images: urls.map((image_url) => ({ image_url })), size: '1024x1536', output_format: 'jpeg' });
		expect(answer.status).toBe(200);
		const bytes = Buffer.from(answer.body.data![0].b64_json, 'base64');
		expect(await sharp(bytes).metadata()).toMatchObject({ width: 1024, height: 1536, format: 'jpeg' });
		const [r, g, b] = await centre(bytes);
		expect([Math.abs(r - 55) < 6, Math.abs(g - 225) < 6, Math.abs(b - 215) < 6]).toEqual([true, true, true]);
		const [rec] = server.requests;
		expect(rec.headers['content-type']).toBe('application/json');
		expect(rec.jsonEdit).toEqual({ images: urls.map((image_url) => ({ image_url })) });
		expect(rec.imageFetches).toEqual(urls.map((url) => ({ url, status: 200, bytes: photoBytes.get(new URL(url).pathname)!.length })));
		expect(photoRequests).toEqual(['/red.png', '/green.png', '/blue.jpg'].map((path) => ({ path, authorization: undefined })));
	});

	test('a data URL, a file id (purpose vision) and a mask by data URL; streaming answers image_edit events', async () => {
		const red = photoBytes.get('/red.png')!;
		const upload = await client.files.create({ file: await toFile(await solid(64, 64, { r: 0, g: 0, b: 0 }), 'b.png'), purpose: 'user_data' });
		const mask = `data:image/png;base64,${(await solid(1024, 1024, { r: 0, g: 0, b: 0 }, true)).toString('base64')}`;
		const response = await fetch(`${server.baseUrl}/images/edits`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` },
			body: JSON.stringify({ model: 'gpt-image-2', prompt: 'p', images: [{ image_url: `data:image/png;base64,${red.toString('base64')}` }, { file_id: upload.id }], mask: { image_url: mask }, stream: true, partial_images: 1 }),
		});
		const text = await response.text();
		expect([...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1])).toEqual(['image_edit.partial_image', 'image_edit.completed']);
		const edit = server.requests.find((r) => r.kind === 'edit')!;
		expect(edit.jsonEdit).toEqual({ images: [{ image_url: expect.stringMatching(/^data:image\/png;base64,/) }, { file_id: upload.id }], mask: { image_url: mask } });
		expect(edit.imageFetches).toEqual([]);
	});

	test('the server fetches its own signed file links: the fetch is in the request log, without Authorization', async () => {
		const answer = await client.images.generate({ model: 'dall-e-3', prompt: 'a signed link', response_format: 'url' });
		const link = answer.data![0].url!;
		server.reset();
		const edited = await editJson({ model: 'gpt-image-2', prompt: 'edit it', images: [{ image_url: link }] });
		expect(edited.status).toBe(200);
		const fetch = server.requests.find((r) => r.origin === 'fetch')!;
		expect(fetch).toMatchObject({ method: 'GET', kind: 'file', status: 200 });
		expect(fetch.headers.authorization).toBeUndefined();
		expect(`${server.url}${fetch.path}?${new URLSearchParams(fetch.query)}`).toBe(link);
	});

	const ref = (image_url: string) => ({ image_url });
	type Row = [string, Record<string, unknown>, string, string, string[]?];
	test.each<Row>([
		['dall-e-2', { model: 'dall-e-2', images: [ref('http://127.0.0.1:1/a.png')] }, 'model', 'JSON edits support GPT image models only; DALL-E edits require multipart.'],
		['17 images', { images: Array.from({ length: 17 }, () => ref('http://127.0.0.1:1/a.png')) }, 'images', "Invalid 'images': array too long. Expected an array with maximum length 16, but got an array with length 17 instead.", ['/images must NOT have more than 16 items']],
		['no images', { images: [] }, 'images', "Invalid 'images': empty array. Expected an array with minimum length 1, but got an empty array instead.", ['/images must NOT have fewer than 1 items']],
		['images missing', {}, 'images', "Missing required parameter: 'images'.", ["(body) must have required property 'images'"]],
		['both image_url and file_id', { images: [{ image_url: 'http://127.0.0.1:1/a.png', file_id: 'file-1' }] }, 'images[0]', "Invalid 'images[0]': provide exactly one of 'image_url' or 'file_id', not both.", [`/images/0 must NOT match the schema's "not" (ImageRefParam: not both image_url and file_id)`]],
		['an ftp address', { images: [ref('http://127.0.0.1:1/a.png'), ref('ftp://example.com/a.png')] }, 'images[1].image_url', "Invalid 'images[1].image_url': expected a fully qualified URL or a base64-encoded data URL, but got 'ftp://example.com/a.png'."],
		['a GIF data URL', { images: [ref('data:image/gif;base64,R0lGOD')] }, 'images[0].image_url', "Invalid 'images[0].image_url': unsupported image type 'image/gif'. Supported types are 'image/png', 'image/jpeg' and 'image/webp'."],
		['n as text', { images: [ref('http://127.0.0.1:1/a.png')], n: '2' }, 'n', "Invalid type for 'n': expected an integer, but got string instead.", ['/n must be integer or null']],
		['an unknown file id', { images: [{ file_id: 'file-nope' }] }, 'images[0].file_id', "Invalid 'images[0].file_id': no such File object: file-nope."],
		['a host it cannot reach', { images: [ref('https://example.com/a.png')] }, 'images[0].image_url', 'Error while downloading https://example.com/a.png.'],
	// A rest parameter keeps fn.length at 0 (rows without the judge's findings have 4 values).
	])('refuses %s', async (...[, body, param, message, judged]: Row) => {
		const answer = await editJson({ model: 'gpt-image-2', prompt: 'p', ...body });
		expect([answer.status, answer.body.error?.param, answer.body.error?.message]).toEqual([400, param, message]);
		// The outside judge (EditImageBodyJsonParam, ImageRefParam) finds only what the schema forbids.
		expect(server.takeSchemaViolations().flatMap((v) => v.errors)).toEqual(judged ?? []);
	});

	test('refuses an address that answers 404, a batch-purpose file id, and a data URL over 20,971,520 characters', async () => {
		const missing = await editJson({ prompt: 'p', images: [ref(`${photosUrl}/gone.png`)] });
		expect(missing.body.error).toMatchObject({ param: 'images[0].image_url', message: `Error while downloading ${photosUrl}/gone.png.` });
		expect(server.requests[0].imageFetches).toEqual([{ url: `${photosUrl}/gone.png`, status: 404 }]);

		const input = await client.files.create({ file: await toFile(Buffer.from('{}\n'), 'in.jsonl'), purpose: 'batch' });
		const wrongPurpose = await editJson({ prompt: 'p', images: [{ file_id: input.id }] });
		expect(wrongPurpose.body.error?.message).toBe(`Invalid 'images[0].file_id': the file '${input.id}' has purpose 'batch'; image inputs take files uploaded with purpose 'vision' or 'user_data'.`);

		const long = `data:image/png;base64,${'A'.repeat(20_971_520 - 'data:image/png;base64,'.length + 1)}`;
		const tooLong = await editJson({ prompt: 'p', images: [ref(long)] });
		expect(tooLong.body.error).toMatchObject({ param: 'images[0].image_url', code: 'string_above_max_length' });
		expect(server.takeSchemaViolations().flatMap((v) => v.errors)).toEqual(['/images/0/image_url must NOT have more than 20971520 characters']);
	});

	test('the multipart rules apply to referenced images, named as the JSON fields', async () => {
		const mask = `data:image/png;base64,${(await solid(512, 512, { r: 0, g: 0, b: 0 }, true)).toString('base64')}`;
		const answer = await editJson({ prompt: 'p', images: [ref(`${photosUrl}/red.png`)], mask: { image_url: mask } });
		expect(answer.body.error).toMatchObject({ param: 'mask', code: 'invalid_image_dimensions' });
		const notImage = await editJson({ prompt: 'p', images: [ref(`${photosUrl}/red.png`), ref(`data:image/png;base64,${Buffer.from('hello').toString('base64')}`)] });
		expect(notImage.body.error).toMatchObject({ param: 'images[1]', code: 'invalid_image_format' });
	});
});
