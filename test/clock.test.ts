/**
 * The node's clock (nodes/shared/clock.ts) and the verdicts that depend on the date: the node run
 * by n8n's engine reads "now" where the tests pin it, and each model row with a retirement date
 * is checked the day before and the day it comes, so the suite says the same on any day.
 */
import { join } from 'node:path';

import sharp from 'sharp';

import { startImageServer, type ImageServer } from './server';
import { runListSearch } from './helpers/engine';
import { justBefore, pinClock, restoreClock, startOf, withClock } from './helpers/clock';
import { PACKAGE_DIR } from './helpers/node-types';
import { createImageNode, edits, file, generations, runCreateImage, runEditImage } from './workflow';
import { editingModels } from '../nodes/EditImage/request';
import { modelChoices } from '../nodes/shared/methods/listSearch';
import type { ModelFamily } from '../nodes/shared/models';
import { apiErrorMessage } from '../nodes/shared/transport/errors';

// The model table as built: the rows the engine's node reads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MODEL_FAMILIES } = require(join(PACKAGE_DIR, 'dist', 'nodes', 'shared', 'models.js')) as { MODEL_FAMILIES: ModelFamily[] };
const RETIRING = MODEL_FAMILIES.filter((family) => family.retirement);
/** Every model id with a retirement date: [id, date, replacement]. */
const RETIRING_IDS = RETIRING.flatMap((family) => family.ids.map((id) => [id, family.retirement!.date, family.retirement!.replacement] as const));

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => {
	server.reset();
	// reset() keeps what set() changed.
	server.set({ retiredModels: {}, azureDeployments: undefined });
});
afterEach(() => restoreClock());

describe('pinning the clock reaches the node the engine runs', () => {
	test('createdAt is the pinned instant when the answer carries no usable time of its own', async () => {
		// The server's `created` is the real now, a day or more after this pin: the node then dates
		// the image by its arrival, on its clock.
		pinClock('2021-03-04T05:06:07.000Z');
		const run = await runCreateImage(server, [{ prompt: 'a sundial' }]);
		expect(run.status).toBe('success');
		expect(run.result[0].json.createdAt).toBe('2021-03-04T05:06:07.000Z');
	});

	test('the table has dated rows to check (gpt-image-1, the gpt-image-1.5 family, dall-e-3, dall-e-2)', () => {
		expect(RETIRING.map((family) => [family.name, family.retirement!.date])).toEqual([
			['gpt-image-1', '2026-10-23'],
			['gpt-image-1-mini / gpt-image-1.5 / chatgpt-image-latest', '2026-12-01'],
			['dall-e-3', '2026-05-12'],
			['dall-e-2', '2026-05-12'],
		]);
	});
});

describe.each(RETIRING_IDS)('%s, retired on %s', (id, date, replacement) => {
	const note = `(note: OpenAI retired its model "${id}" on ${date} and names ${replacement} as its replacement)`;

	test('the day before: a model_not_found is the server\'s words alone, never called retired', async () => {
		server.set({ retiredModels: { [id]: 'shut down' } });
		pinClock(justBefore(date));
		const run = await runCreateImage(server, [{ prompt: 'still here?' }], { model: id });
		expect(run.status).toBe('error');
		expect(run.error?.message).toBe('shut down');
	});

	test('from the date on: the error adds OpenAI\'s retirement and its replacement', async () => {
		server.set({ retiredModels: { [id]: 'shut down' } });
		pinClock(startOf(date));
		const run = await runCreateImage(server, [{ prompt: 'still here?' }], { model: id });
		expect(run.status).toBe('error');
		expect(run.error?.message).toBe(`shut down ${note}`);
	});

	test('on OpenAI itself: announced before the date, the retirement leads from it on', async () => {
		const details = { message: `The model \`${id}\` does not exist or you do not have access to it.`, code: 'model_not_found' };
		pinClock(justBefore(date));
		expect(apiErrorMessage(details, 404, id, 'openai')).toBe(details.message);
		pinClock(startOf(date));
		expect(apiErrorMessage(details, 404, id, 'openai')).toBe(
			`The model "${id}" was retired by OpenAI on ${date}; use ${replacement} instead (the API answered: ${details.message})`,
		);
	});

	test('the model list says "retires" before the date and "retired" from it on, and then lists it after the current models', () => {
		const listed = [{ id }, { id: 'gpt-image-2' }, { id: 'gpt-image-9-preview' }];
		pinClock(justBefore(date));
		const before = modelChoices(listed, 'openai');
		expect(before.find((r) => r.value === id)?.name).toBe(`${id} (retires ${date})`);
		pinClock(startOf(date));
		const after = modelChoices(listed, 'openai');
		expect(after.map((r) => r.value)).toEqual(['gpt-image-2', id, 'gpt-image-9-preview']);
		expect(after.find((r) => r.value === id)?.name).toBe(`${id} (retired ${date})`);
	});

	test('a compatible server that still serves it is sent the request, and its image is the result, after the date too', async () => {
		pinClock(startOf(date) + 365 * 24 * 3600_000);
		const run = await runCreateImage(server, [{ prompt: 'an old favourite' }], { model: id });
		expect(run.error?.message).toBeUndefined();
		expect(run.result).toHaveLength(1);
		expect(generations(server).map((r) => (r.body as { model?: string }).model)).toEqual([id]);
	});
});

describe('the panel\'s model list, through the engine', () => {
	test('a compatible server listing retired models: labels follow the pinned date', async () => {
		const list = async () =>
			(
				await runListSearch({
					node: createImageNode(),
					method: 'searchModels',
					credentials: { openAiImagesApi: { apiKey: server.apiKey, baseUrl: server.baseUrl } },
				})
			).results;
		const before = await withClock(justBefore('2026-12-01'), list);
		expect(before.find((r) => r.value === 'gpt-image-1.5')?.name).toBe('gpt-image-1.5 (retires 2026-12-01)');
		const after = await withClock(startOf('2026-12-01'), list);
		expect(after.find((r) => r.value === 'gpt-image-1.5')?.name).toBe('gpt-image-1.5 (retired 2026-12-01)');
	});
});

describe('Edit Image: the models named as editing follow the date', () => {
	const current = 'gpt-image-2, gpt-image-2.5-flare, gpt-image-2.5-sunburst, gpt-image-2.6-flare, gpt-image-2.6-sunburst';
	const announced = 'gpt-image-1-mini (until 2026-12-01), gpt-image-1.5 (until 2026-12-01), chatgpt-image-latest (until 2026-12-01)';

	test('the list, the day before and from each date on', () => {
		expect(editingModels(new Date(justBefore('2026-10-23')))).toBe(`${current}, gpt-image-1 (until 2026-10-23), ${announced}`);
		expect(editingModels(new Date(startOf('2026-10-23')))).toBe(`${current}, ${announced}`);
		expect(editingModels(new Date(justBefore('2026-12-01')))).toBe(`${current}, ${announced}`);
		expect(editingModels(new Date(startOf('2026-12-01')))).toBe(current);
		// Its default is the package clock.
		pinClock(justBefore('2026-12-01'));
		expect(editingModels()).toBe(`${current}, ${announced}`);
	});

	test.each([
		['the day before 2026-12-01', justBefore('2026-12-01'), `${current}, ${announced}`],
		['from 2026-12-01 on', startOf('2026-12-01'), current],
	])('a model that does not edit, %s: the error names what edits then, before anything is sent', async (_when, at, list) => {
		pinClock(at);
		const run = await runEditImage(server, [{ json: { prompt: 'p' }, binary: { data: file(await png(), 'image/png', 'a.png') } }], { model: 'dall-e-3' });
		expect(run.status).toBe('error');
		expect(run.error?.message).toBe(`[item 0] Model: dall-e-3 does not edit images; models that do: ${list}`);
		expect(edits(server)).toHaveLength(0);
	});

	test('gpt-image-1.5 with Input Fidelity high still edits on a server that serves it, after its date', async () => {
		pinClock('2030-01-01T00:00:00Z');
		const run = await runEditImage(
			server,
			[{ json: { prompt: 'keep the face' }, binary: { data: file(await png(), 'image/png', 'a.png') } }],
			{ model: 'gpt-image-1.5', options: { inputFidelity: 'high' } },
		);
		expect(run.error?.message).toBeUndefined();
		expect(run.result).toHaveLength(1);
		expect(edits(server)).toHaveLength(1);
	});
});

describe('Azure: a deployment of a model OpenAI retired keeps working', () => {
	test('a dated-API deployment of gpt-image-1.5, a year after 2026-12-01', async () => {
		server.set({ azureDeployments: { 'old-edits': 'gpt-image-1.5' } });
		pinClock('2027-12-01T00:00:00Z');
		const run = await runCreateImage(
			server,
			[{ prompt: 'a harbour' }],
			{ authentication: 'azureOpenAiImagesApi', model: 'old-edits' },
			{ credentials: { azureOpenAiImagesApi: { endpoint: server.url, apiKey: server.apiKey, apiStyle: 'deployments', apiVersion: '2025-04-01-preview' } } },
		);
		expect(run.error?.message).toBeUndefined();
		expect(run.result).toHaveLength(1);
		expect(generations(server).map((r) => r.path)).toEqual(['/openai/deployments/old-edits/images/generations']);
	});
});

let pngCache: Buffer | undefined;
async function png(): Promise<Buffer> {
	pngCache ??= await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 80, b: 40 } } }).png().toBuffer();
	return pngCache;
}
