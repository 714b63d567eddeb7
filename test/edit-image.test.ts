/**
 * The Edit Image node inside n8n's engine (WorkflowExecute), against the project's image server
 * on loopback, which checks POST /images/edits as the API does (multipart parts, files, sizes,
 * per model) and answers the first image recoloured (negated) at the requested size.
 */
import sharp from 'sharp';

import { startImageServer, type ImageServer } from './server';
import { binaryBuffer, chain, FIXTURE_TYPES, runWorkflow } from './helpers/engine';
import {
	createImageNode,
	EDIT_NODE,
	editImageNode,
	edits,
	file,
	generations,
	imageDimensions,
	NODE,
	openAiCredentials,
	runEditImage,
} from './workflow';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

type Colour = { r: number; g: number; b: number };
const RED: Colour = { r: 200, g: 30, b: 40 };
const GREEN: Colour = { r: 20, g: 180, b: 60 };

/** A solid image of one colour (alpha: a transparent hole in the middle, as a mask has). */
async function picture(format: 'png' | 'jpeg' | 'webp' | 'gif', colour: Colour, width = 1024, height = 1024, hole = false): Promise<Buffer> {
	let image = sharp({ create: { width, height, channels: hole ? 4 : 3, background: hole ? { ...colour, alpha: 1 } : colour } });
	if (hole) {
		const cut = await sharp({ create: { width: width / 2, height: height / 2, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
		image = sharp(await image.png().toBuffer()).composite([{ input: cut, left: width / 4, top: height / 4, blend: 'dest-in' as const }]);
		image = sharp(await image.png().toBuffer());
	}
	return await image.toFormat(format).toBuffer();
}

/** The colour of an image's centre pixel. */
async function centre(data: Buffer): Promise<Colour> {
	const { data: pixels, info } = await sharp(data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
	const at = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
	return { r: pixels[at], g: pixels[at + 1], b: pixels[at + 2] };
}

const negated = (c: Colour): Colour => ({ r: 255 - c.r, g: 255 - c.g, b: 255 - c.b });
const close = (a: Colour, b: Colour) => Math.max(Math.abs(a.r - b.r), Math.abs(a.g - b.g), Math.abs(a.b - b.b)) <= 6;

let redPng: Buffer;
let greenJpeg: Buffer;
let blueWebp: Buffer;
let maskPng: Buffer;
beforeAll(async () => {
	redPng = await picture('png', RED);
	greenJpeg = await picture('jpeg', GREEN);
	blueWebp = await picture('webp', { r: 30, g: 60, b: 220 });
	maskPng = await picture('png', { r: 0, g: 0, b: 0 }, 1024, 1024, true);
});

describe('requests', () => {
	test('one image: sent as `image` with its file name and type; the result is the edited image, paired, Configuration passed through', async () => {
		const rows = [{ json: { prompt: 'make it night', slug: 'shop' }, binary: { data: file(redPng, 'image/png', 'shop.png') } }];
		const run = await runEditImage(server, rows, { options: { size: '1536x1024', quality: 'low' } });

		expect(run.error?.message).toBeUndefined();
		expect(run.status).toBe('success');
		const [request] = edits(server);
		expect(request.path).toBe('/v1/images/edits');
		expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
		expect(request.body).toEqual({ model: 'gpt-image-2', prompt: 'make it night', size: '1536x1024', quality: 'low' });
		expect(request.files).toEqual([{ name: 'image', fileName: 'shop.png', contentType: 'image/png', size: redPng.length }]);
		expect(run.result).toHaveLength(1);
		const [item] = run.result;
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({ index: 0, model: 'gpt-image-2', prompt: 'make it night', size: '1536x1024', outputFormat: 'png' });
		expect(item.binary!.data).toMatchObject({ mimeType: 'image/png', fileName: 'image_0_0.png' });
		const bytes = await binaryBuffer(item, 'data');
		expect(imageDimensions(bytes)).toEqual({ width: 1536, height: 1024 });
		expect(close(await centre(bytes), negated(RED))).toBe(true);
		expect(run.configuration).toEqual([{ json: rows[0].json, binary: expect.any(Object), pairedItem: { item: 0 } }]);
	});

	test('several images: repeated `image[]` parts in the order given, each with its file name and type', async () => {
		const rows = [
			{
				json: { prompt: 'put the logo on the product in the scene' },
				binary: {
					product: file(greenJpeg, 'image/jpeg', 'product.jpg'),
					logo: file(redPng, 'image/png', 'logo.png'),
					scene: file(blueWebp, 'image/webp', 'scene.webp'),
				},
			},
		];
		const run = await runEditImage(server, rows, { images: 'scene, product ,logo' });

		expect(run.status).toBe('success');
		expect(edits(server)[0].files).toEqual([
			{ name: 'image[]', fileName: 'scene.webp', contentType: 'image/webp', size: blueWebp.length },
			{ name: 'image[]', fileName: 'product.jpg', contentType: 'image/jpeg', size: greenJpeg.length },
			{ name: 'image[]', fileName: 'logo.png', contentType: 'image/png', size: redPng.length },
		]);
		// The edit starts from the first image (the scene); size auto keeps its size.
		const bytes = await binaryBuffer(run.result[0], 'data');
		expect(close(await centre(bytes), negated({ r: 30, g: 60, b: 220 }))).toBe(true);
	});
});
