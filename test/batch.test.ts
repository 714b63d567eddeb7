/**
 * Request Mode › Batch (issue 17) inside n8n's engine against the project's image server with
 * its Files and Batch APIs: refusals before anything is sent, batches created, waited for and
 * read, items in input order, every status, Wait off, Image Batch, stop.
 */
import { startImageServer, type ImageServer } from './server';
import { errorMessage, itemError, runCreateImage } from './workflow';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

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
