/**
 * Azure OpenAI (dated deployments API and v1) and OpenAI-compatible servers (LocalAI, vLLM,
 * proxies), through n8n's engine against the project's image server.
 */
import { startImageServer, type ImageServer } from './server';
import { binaryBuffer, runListSearch, testCredential } from './helpers/engine';
import { createImageNode, generations, imageDimensions, runCreateImage } from './workflow';
import { modelChoices } from '../nodes/shared/methods/listSearch';
import { pinClock, restoreClock } from './helpers/clock';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => {
	server.reset();
	server.set({ flavor: 'openai' });
});
afterEach(() => restoreClock());

const azure = (s: ImageServer, apiStyle: 'v1' | 'deployments', extra: Record<string, string> = {}) => ({
	azureOpenAiImagesApi: { endpoint: s.url, apiKey: s.apiKey, apiStyle, apiVersion: '2025-04-01-preview', ...extra },
});

describe('Azure OpenAI', () => {
	test('dated API: the deployment in the path, api-version in the query, the key in api-key only', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'a harbour at night' }],
			{ authentication: 'azureOpenAiImagesApi', model: 'gpt-image-2', options: { size: '1024x1536', outputFormat: 'jpeg' } },
			{ credentials: azure(server, 'deployments') },
		);
		expect(run.error?.message).toBeUndefined();
		const [request] = generations(server);
		expect(request.path).toBe('/openai/deployments/gpt-image-2/images/generations');
		expect(request.query).toEqual({ 'api-version': '2025-04-01-preview' });
		expect(request.headers['api-key']).toBe(server.apiKey);
		expect(request.headers.authorization).toBeUndefined();
		expect(request.body).toEqual({ prompt: 'a harbour at night', size: '1024x1536', output_format: 'jpeg' });
		const item = run.result[0];
		expect(item.binary!.data).toMatchObject({ mimeType: 'image/jpeg', fileName: 'image_0_0.jpg' });
		expect(imageDimensions(await binaryBuffer(item))).toEqual({ width: 1024, height: 1536 });
		expect(item.json.contentFilterResults).toMatchObject({ violence: { filtered: false } });
		expect(JSON.stringify(run.run)).not.toContain(server.apiKey);
	});

	test('v1 API: the deployment name goes in body.model', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'a tram in the rain' }],
			{ authentication: 'azureOpenAiImagesApi', model: 'my-image-deployment' },
			{ credentials: azure(server, 'v1', { endpoint: `${server.url}/openai/v1/` }) },
		);
		expect(run.status).toBe('success');
		const [request] = generations(server);
		expect(request.path).toBe('/openai/v1/images/generations');
		expect(request.body).toEqual({ model: 'my-image-deployment', prompt: 'a tram in the rain' });
		expect(request.headers['api-key']).toBe(server.apiKey);
	});

	test('webp is refused before anything is sent', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'a webp please' }],
			{ authentication: 'azureOpenAiImagesApi', model: 'gpt-image-2', options: { outputFormat: 'webp' } },
			{ credentials: azure(server, 'deployments') },
		);
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/\[item 0\] Options › Output Format: "webp" is not available on Azure OpenAI/);
		expect(server.requests).toHaveLength(0);
	});

	test('a content-filter block names the category that fired', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'something violent [contentfilter]' }],
			{ authentication: 'azureOpenAiImagesApi', model: 'gpt-image-2' },
			{ credentials: azure(server, 'deployments') },
		);
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(/content filter: violence \(high\)/);
		expect(run.error?.description).toMatch(/code: contentFilter/);
	});

	test('an unknown deployment gives the API message', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'x' }],
			{ authentication: 'azureOpenAiImagesApi', model: 'no-such-deployment' },
			{ credentials: azure(server, 'deployments') },
		);
		expect(run.status).toBe('error');
		expect(run.error?.description).toMatch(/HTTP 404/);
		expect(run.error?.message).toMatch(/deployment/i);
	});

	test.each(['v1', 'deployments'] as const)('the credential test proves the key (%s)', async (apiStyle) => {
		const data = azure(server, apiStyle).azureOpenAiImagesApi;
		expect(await testCredential('azureOpenAiImagesApi', data)).toMatchObject({ status: 'OK' });
		const request = server.requests.at(-1)!;
		expect(request.headers['api-key']).toBe(server.apiKey);
		expect(await testCredential('azureOpenAiImagesApi', { ...data, apiKey: 'wrong' })).toMatchObject({ status: 'Error' });
	});

	test('list mode lists the deployments, with their models', async () => {
		const { results } = await runListSearch({
			node: createImageNode({ authentication: 'azureOpenAiImagesApi' }),
			method: 'searchModels',
			credentials: azure(server, 'deployments'),
		});
		expect(results.map((r) => r.value)).toEqual(expect.arrayContaining(['gpt-image-2', 'my-image-deployment', 'dalle3']));
		expect(results.find((r) => r.value === 'dalle3')?.name).toMatch(/dall-e-3/);
		expect(server.requests.at(-1)?.headers['api-key']).toBe(server.apiKey);
	});
});

describe('OpenAI-compatible servers', () => {
	test('LocalAI: a url on the server itself is downloaded without the key; missing usage and created are fine', async () => {
		server.set({ flavor: 'localai' });
		const run = await runCreateImage(server, [{ prompt: 'a llama' }], { model: 'stablediffusion', options: { size: '512x512' } });
		expect(run.error?.message).toBeUndefined();
		const item = run.result[0];
		expect(item.json.url).toMatch(new RegExp(`^${server.url}/generated-images/`));
		expect(item.json.usage).toBeUndefined();
		expect(imageDimensions(await binaryBuffer(item))).toEqual({ width: 512, height: 512 });
		const download = server.requests.find((r) => r.kind === 'file')!;
		expect(download.headers.authorization).toBeUndefined();
	});

	test.each([
		['a FastAPI detail string', '[status:503]', /HTTP 503/],
		['a FastAPI validation list', '[status:422]', /HTTP 422/],
	])('vLLM: %s becomes a clear error with the status and the text', async (_name, tag, description) => {
		server.set({ flavor: 'vllm' });
		const run = await runCreateImage(server, [{ prompt: `x ${tag}` }], { model: 'Qwen/Qwen-Image', options: { maxRetries: 0 } });
		expect(run.status).toBe('error');
		expect(run.error?.description).toMatch(description);
		expect(run.error?.message).not.toMatch(/\[object Object\]|^HTTP \d+$/);
		expect(run.error?.message.length).toBeGreaterThan(5);
	});

	test('list mode for a compatible server offers every model it lists, image models first', async () => {
		// A day after every date in the model table (both sides of each: test/clock.test.ts).
		pinClock('2027-01-01T00:00:00Z');
		const { results } = await runListSearch({
			node: createImageNode(),
			method: 'searchModels',
			credentials: { openAiImagesApi: { apiKey: server.apiKey, baseUrl: server.baseUrl } },
		});
		const values = results.map((r) => r.value as string);
		expect(values[0]).toBe('gpt-image-2');
		expect(values).toEqual(expect.arrayContaining(['dall-e-3', 'gpt-5', 'whisper-1']));
		expect(values.indexOf('dall-e-2')).toBeLessThan(values.indexOf('gpt-5'));
		expect(results.find((r) => r.value === 'dall-e-3')?.name).toBe('dall-e-3 (retired 2026-05-12)');

		const filtered = await runListSearch({
			node: createImageNode(),
			method: 'searchModels',
			filter: 'mini',
			credentials: { openAiImagesApi: { apiKey: server.apiKey, baseUrl: server.baseUrl } },
		});
		expect(filtered.results.map((r) => r.value)).toEqual(['gpt-image-1-mini']);
	});

	test('list mode for OpenAI offers its image models only', () => {
		pinClock('2027-01-01T00:00:00Z');
		const listed = ['gpt-5', 'dall-e-3', 'gpt-image-2', 'whisper-1', 'gpt-image-1.5', 'gpt-image-9-preview'].map((id) => ({ id }));
		expect(modelChoices(listed, 'openai').map((r) => r.value)).toEqual(['gpt-image-2', 'gpt-image-1.5', 'dall-e-3', 'gpt-image-9-preview']);
	});
});
