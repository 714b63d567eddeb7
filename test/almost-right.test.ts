/**
 * Answers that lie and inputs that are almost right (issue 8), through n8n's engine against the
 * project's image server, taught the shapes real servers send ([lie:...] tags, test/server/lies.ts):
 * every success is a real image, every refusal says why.
 */
import { startImageServer, type ImageServer } from './server';
import { getImage } from './server/images';
import { RELAY_QUOTA_ERROR } from './server/lies';
import { binaryBuffer, runListSearch, testCredential } from './helpers/engine';
import { createImageNode, generations, imageDimensions, openAiCredentials, runCreateImage, errorMessage, itemError } from './workflow';
import { answerTime } from '../nodes/shared/answerChecks';
import { apiErrorMessage } from '../nodes/shared/transport/errors';
import { parseImageAnswer } from '../nodes/shared/transport/answer';
import { pinClock, restoreClock } from './helpers/clock';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => {
	server.reset();
	server.set({ flavor: 'openai', fileStallAfterBytes: undefined });
});

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
const files = () => server.requests.filter((r) => r.kind === 'file');

describe('1. a 2xx answer is trusted only for real images', () => {
	test.each([
		['""', '[lie:b64-empty-url]'],
		['null', '[lie:b64-null-url]'],
	])('b64_json %s next to a url: the url is downloaded without the key and its image used', async (_value, tag) => {
		const run = await runCreateImage(server, [{ prompt: `a heron ${tag}` }]);
		expect(run.error?.message).toBeUndefined();
		const item = run.result[0];
		const bytes = await binaryBuffer(item);
		expect(bytes.subarray(0, 4)).toEqual(PNG);
		expect(imageDimensions(bytes)).toEqual({ width: 1024, height: 1024 });
		expect(item.binary!.data).toMatchObject({ mimeType: 'image/png', fileName: 'image_0_0.png' });
		expect(files()).toHaveLength(1);
		expect(files()[0].headers.authorization).toBeUndefined();
	});

	test('b64_json "" and no url: the item\'s error names the item, the image and what arrived; no empty file', async () => {
		const run = await runCreateImage(server, [{ prompt: 'fine' }, { prompt: 'empty [lie:b64-empty]' }], { onError: 'continueRegularOutput' });
		expect(run.status).toBe('success');
		expect(run.result[0].binary?.data.mimeType).toBe('image/png');
		expect(run.result[1].binary).toBeUndefined();
		expect(errorMessage(run.result[1])).toBe('[item 1] Unexpected answer from the API: image 0 of the answer has an empty b64_json and no url: no image was made from it');
		expect(run.result[1].pairedItem).toEqual({ item: 1 });
	});

	test('a data: URL inside b64_json: the prefix is dropped, a JPEG file image_0_0.jpg with the original bytes', async () => {
		const jpeg = await getImage({ width: 64, height: 48, format: 'jpeg', mode: 'solid' });
		// The quoted answer, as it came: nothing but data.
		server.script({ status: 200, body: { data: [{ b64_json: `data:image/jpeg;base64,${jpeg.b64}` }] } });
		const run = await runCreateImage(server, [{ prompt: 'a jpeg in disguise' }]);
		expect(run.error?.message).toBeUndefined();
		const item = run.result[0];
		expect(item.binary!.data).toMatchObject({ mimeType: 'image/jpeg', fileName: 'image_0_0.jpg', fileExtension: 'jpg' });
		expect(item.json.outputFormat).toBe('jpeg');
		expect((await binaryBuffer(item)).equals(jpeg.buffer)).toBe(true);
	});

	test('a data: URL inside b64_json from the server\'s own answer ([lie:data-url]), and the reader alone with an escaped slash', async () => {
		const run = await runCreateImage(server, [{ prompt: 'webp in a data url [lie:data-url]' }], { options: { outputFormat: 'webp' } });
		expect(run.result[0].binary!.data).toMatchObject({ mimeType: 'image/webp', fileName: 'image_0_0.webp' });
		expect(imageDimensions(await binaryBuffer(run.result[0]))).toEqual({ width: 1024, height: 1024 });

		const png = await getImage({ width: 16, height: 16, format: 'png', mode: 'solid' });
		const escaped = parseImageAnswer(Buffer.from(`{"data":[{"b64_json":"data:image\\/png;base64,${png.b64}"}]}`));
		expect(escaped.images[0]?.equals(png.buffer)).toBe(true);
	});

	test('HTTP 200 with an error object and no data: the same error as a 4xx with that body', async () => {
		const run200 = await runCreateImage(server, [{ prompt: 'relay [lie:error-200]' }]);
		server.script({ status: 402, body: RELAY_QUOTA_ERROR });
		const run402 = await runCreateImage(server, [{ prompt: 'relay as a 402' }], { options: { maxRetries: 0 } });
		expect(run200.status).toBe('error');
		expect(run200.error?.message).toBe('Upstream channel quota exhausted, please top up');
		expect(run200.error?.description).toBe('HTTP 200, type: relay_error, code: insufficient_user_quota');
		expect(run200.error?.message).toBe(run402.error?.message);
		expect(run402.error?.description).toBe('HTTP 402, type: relay_error, code: insufficient_user_quota');
	});

	test.each([
		['an HTML page', '[lie:html-200]', 'HTTP 200 with text/html instead of JSON: Sign in - Gateway Sign in to continue'],
		['plain text', '[lie:text-200]', 'HTTP 200 with text/plain instead of JSON: upstream connect error or disconnect/reset before headers'],
	])('HTTP 200 with %s: the error says what came back', async (_what, tag, said) => {
		const run = await runCreateImage(server, [{ prompt: `gateway ${tag}` }]);
		expect(run.status).toBe('error');
		expect(run.error?.message).toBe(`[item 0] Unexpected answer from the API: ${said}`);
	});

	test.each([
		['milliseconds (the quoted 1764428076000)', '1764428076000', '2025-11-29T14:54:36.000Z'],
		['microseconds', '1764428076000000', '2025-11-29T14:54:36.000Z'],
		['seconds', '1764428076', '2025-11-29T14:54:36.000Z'],
	])('created in %s gives the right date', async (_unit, created, iso) => {
		const run = await runCreateImage(server, [{ prompt: `when [lie:created=${created}]` }]);
		expect(run.error?.message).toBeUndefined();
		expect(run.result[0].json.createdAt).toBe(iso);
	});

	test.each(['null', 'soon', '99999999999999999999', '12'])('created %s falls back to the time the answer arrived', async (created) => {
		const before = Date.now();
		const run = await runCreateImage(server, [{ prompt: `when [lie:created=${created}]` }]);
		expect(run.error?.message).toBeUndefined();
		const at = Date.parse(run.result[0].json.createdAt as string);
		expect(at).toBeGreaterThanOrEqual(before);
		expect(at).toBeLessThanOrEqual(Date.now());
	});

	test('answerTime tells the units apart and refuses nonsense', () => {
		const arrived = Date.parse('2026-11-29T12:00:00Z');
		expect(answerTime(1764428076, arrived)).toBe(1764428076000);
		expect(answerTime('1764428076', arrived)).toBe(1764428076000);
		expect(answerTime(1764428076123, arrived)).toBe(1764428076123);
		expect(answerTime(1764428076123456, arrived)).toBe(1764428076123);
		expect(answerTime(1764428076123456789, arrived)).toBe(1764428076123);
		expect(answerTime(Date.parse('2027-01-01T00:00:00Z') / 1000, arrived)).toBe(arrived);
		expect(answerTime(-5, arrived)).toBe(arrived);
		expect(answerTime({}, arrived)).toBe(arrived);
	});

	test.each([
		['an HTML page', '[lie:url-html]', /^\[item 0\] Unexpected answer from the API: image 0 of the answer is not an image \(downloaded from http:\/\/127\.0\.0\.1:\d+\): \d+ bytes of text\/html: Sign in - Gateway Sign in to continue$/],
		['a JSON error', '[lie:url-json]', /is not an image \(downloaded from http:\/\/127\.0\.0\.1:\d+\): \d+ bytes of application\/json: Signature expired$/],
		['0 bytes', '[lie:url-empty]', /image 0 of the answer is not an image \(downloaded from http:\/\/127\.0\.0\.1:\d+\): 0 bytes$/],
	])('a url that serves %s with HTTP 200 is the item\'s error, not a file', async (_what, tag, said) => {
		const run = await runCreateImage(server, [{ prompt: `download ${tag}` }], { onError: 'continueRegularOutput' });
		expect(run.result).toHaveLength(1);
		expect(run.result[0].binary).toBeUndefined();
		expect(errorMessage(run.result[0])).toMatch(said);
	});
});

describe('2. numbers typed into expressions arrive as text', () => {
	test('n "2" and compression "80" from the item are sent as JSON numbers', async () => {
		const run = await runCreateImage(server, [{ prompt: 'two jpegs', n: '2', compression: '80' }], {
			options: { n: '={{ $json.n }}', outputFormat: 'jpeg', outputCompression: '={{ $json.compression }}' },
		});
		expect(run.error?.message).toBeUndefined();
		expect(generations(server).map((r) => r.body)).toEqual([
			{ model: 'gpt-image-2', prompt: 'two jpegs', n: 2, output_format: 'jpeg', output_compression: 80 },
		]);
		expect(run.result.map((item) => item.binary?.data.fileName)).toEqual(['image_0_0.jpg', 'image_0_1.jpg']);
	});

	test('numeric text with spaces works for every numeric option (timeout, retries, concurrency too)', async () => {
		const run = await runCreateImage(server, [{ prompt: 'spaced [status:503x1]', n: ' 3 ', timeout: ' 30000 ', retries: '1 ', concurrency: ' 2' }], {
			model: 'dall-e-2',
			options: { n: '={{ $json.n }}', timeout: '={{ $json.timeout }}', maxRetries: '={{ $json.retries }}', concurrency: '={{ $json.concurrency }}', responseFormat: 'b64_json' },
		});
		expect(run.error?.message).toBeUndefined();
		expect(run.result).toHaveLength(3);
		expect(generations(server).map((r) => (r.body as { n: unknown }).n)).toEqual([3, 3]);
	});

	test.each([
		['Number of Images', { n: '={{ $json.value }}' }, 'Options › Number of Images', '2'],
		['Output Compression', { outputFormat: 'jpeg', outputCompression: '={{ $json.value }}' }, 'Options › Output Compression', '80'],
		['Request Timeout', { timeout: '={{ $json.value }}' }, 'Request Timeout', '3000'],
		['Max Retries', { maxRetries: '={{ $json.value }}' }, 'Max Retries', '2'],
	])('text that is not a number in %s is refused before sending, saying so', async (_label, options, field, good) => {
		const run = await runCreateImage(server, [{ prompt: 'fine', value: good }, { prompt: 'words', value: 'two' }], { options });
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(new RegExp(`^\\[item 1\\] ${field}: "two" is not a number`));
		expect(generations(server)).toHaveLength(0);
	});

	test('Concurrency as text that is not a number is refused before sending', async () => {
		const run = await runCreateImage(server, [{ prompt: 'fine' }], { options: { concurrency: '={{ "lots" }}' } });
		expect(run.error?.message).toMatch(/^Options › Concurrency: "lots" is not a number/);
		expect(generations(server)).toHaveLength(0);
	});
});

describe('3. addresses are pasted whole', () => {
	const azure = (endpoint: string, apiStyle: 'v1' | 'deployments') => ({
		azureOpenAiImagesApi: { endpoint, apiKey: server.apiKey, apiStyle, apiVersion: '2025-04-01-preview' },
	});
	// As copied from the portal for another deployment: the node's own model and API version win.
	const datedUri = () => `${server.url}/openai/deployments/my-image-deployment/images/generations?api-version=2024-02-01`;
	const v1Uri = () => `${server.url}/openai/v1/images/generations`;

	test.each([
		['the dated target URI', datedUri, 'deployments' as const, '/openai/deployments/gpt-image-2/images/generations', { 'api-version': '2025-04-01-preview' }],
		['the v1 target URI', v1Uri, 'v1' as const, '/openai/v1/images/generations', {}],
	])('Azure Endpoint pasted as %s: requests go to the resource, the image is made', async (_form, uri, apiStyle, path, query) => {
		const run = await runCreateImage(server, [{ prompt: 'a harbour' }], { authentication: 'azureOpenAiImagesApi', model: 'gpt-image-2' }, { credentials: azure(uri(), apiStyle) });
		expect(run.error?.message).toBeUndefined();
		expect(run.result[0].binary?.data.mimeType).toBe('image/png');
		expect(generations(server).map((r) => [r.path, r.query])).toEqual([[path, query]]);
	});

	test.each([
		['dated', datedUri, 'deployments' as const, '/openai/models'],
		['v1', v1Uri, 'v1' as const, '/openai/v1/models'],
	])('Azure credential test and list search with the %s target URI pasted', async (_form, uri, apiStyle, testPath) => {
		const data = azure(uri(), apiStyle).azureOpenAiImagesApi;
		expect(await testCredential('azureOpenAiImagesApi', data)).toMatchObject({ status: 'OK' });
		expect(server.requests.at(-1)?.path).toBe(testPath);
		const { results } = await runListSearch({ node: createImageNode({ authentication: 'azureOpenAiImagesApi' }), method: 'searchModels', credentials: azure(uri(), apiStyle) });
		expect(results.map((r) => r.value)).toEqual(expect.arrayContaining(['gpt-image-2', 'my-image-deployment']));
		expect(server.requests.at(-1)?.path).toBe('/openai/deployments');
	});

	test.each([
		['…/v1/images/generations', '/images/generations'],
		['…/v1/models', '/models'],
		['…/v1/images/edits/ with a query', '/images/edits/?x=1'],
	])('OpenAI-compatible Base URL pasted as %s: requests, list search and the credential test use the base', async (_form, tail) => {
		const baseUrl = `${server.baseUrl}${tail}`;
		const run = await runCreateImage(server, [{ prompt: 'a base' }], {}, { credentials: openAiCredentials(server, { baseUrl }) });
		expect(run.error?.message).toBeUndefined();
		expect(generations(server).map((r) => r.path)).toEqual(['/v1/images/generations']);

		const { results } = await runListSearch({ node: createImageNode(), method: 'searchModels', credentials: openAiCredentials(server, { baseUrl }) });
		expect(results[0]?.value).toBe('gpt-image-2');
		expect(server.requests.at(-1)?.path).toBe('/v1/models');

		expect(await testCredential('openAiImagesApi', { apiKey: server.apiKey, baseUrl })).toMatchObject({ status: 'OK' });
		expect(server.requests.at(-1)?.path).toBe('/v1/models');
	});

	test.each([
		['OpenAI Images API', 'Base URL', {}, openAiCredentialsWith('127.0.0.1:8080/v1'), /expected the API base such as https:\/\/api\.openai\.com\/v1/],
		['Azure OpenAI Images API', 'Endpoint', { authentication: 'azureOpenAiImagesApi' as const }, { azureOpenAiImagesApi: { endpoint: 'my-resource', apiKey: 'k', apiStyle: 'v1' } }, /expected the resource address such as https:\/\/my-resource\.openai\.azure\.com/],
	])('an address that cannot be understood (%s) is refused before sending, naming the field', async (credential, field, settings, credentials, expected) => {
		const run = await runCreateImage(server, [{ prompt: 'nowhere' }], settings, { credentials });
		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(new RegExp(`^Credential "${credential}" › ${field}: not an http:// or https:// address; `));
		expect(run.error?.message).toMatch(expected);
		expect(server.requests).toHaveLength(0);
	});
});

function openAiCredentialsWith(baseUrl: string) {
	return { openAiImagesApi: { apiKey: 'sk-never-sent', baseUrl } };
}

describe('4. errors speak for the server that answered', () => {
	// The retirement notes below are dated: a day well after dall-e-3's 2026-05-12 (both sides of
	// each date: test/clock.test.ts).
	beforeEach(() => pinClock('2026-06-01T00:00:00Z'));
	afterEach(() => restoreClock());

	test('a local server\'s 404 {"error":"model \'dall-e-3\' not found"}: its own words first, then OpenAI\'s retirement as OpenAI\'s fact', async () => {
		server.script({ status: 404, body: { error: "model 'dall-e-3' not found" } });
		const run = await runCreateImage(server, [{ prompt: 'an old model' }], { model: 'dall-e-3' });
		expect(run.status).toBe('error');
		expect(run.error?.message).toBe(`model 'dall-e-3' not found (note: OpenAI retired its model "dall-e-3" on 2026-05-12 and names gpt-image-2 as its replacement)`);
	});

	test('on OpenAI itself the retirement leads', () => {
		const details = { message: 'The model `dall-e-3` does not exist or you do not have access to it.', code: 'model_not_found' };
		expect(apiErrorMessage(details, 404, 'dall-e-3', 'openai')).toMatch(/^The model "dall-e-3" was retired by OpenAI on 2026-05-12; use gpt-image-2 instead/);
	});

	test('Azure: the API\'s type stays, inner_error.code goes beside it, inner_error.revised_prompt is kept', async () => {
		server.script({
			status: 400,
			body: {
				error: {
					code: 'content_policy_violation',
					type: 'invalid_request_error',
					message: 'Your request was rejected as a result of our safety system.',
					inner_error: {
						code: 'ResponsibleAIPolicyViolation',
						revised_prompt: 'A peaceful harbour at dusk',
						content_filter_results: { violence: { filtered: true, severity: 'medium' } },
					},
				},
			},
		});
		const run = await runCreateImage(
			server,
			[{ prompt: 'a harbour' }],
			{ authentication: 'azureOpenAiImagesApi', model: 'dalle3', onError: 'continueRegularOutput' },
			{ credentials: { azureOpenAiImagesApi: { endpoint: server.url, apiKey: server.apiKey, apiStyle: 'deployments', apiVersion: '2025-04-01-preview' } } },
		);
		const error = itemError(run.result[0])!;
		expect(error.description).toBe(
			'HTTP 400, type: invalid_request_error, code: content_policy_violation, inner code: ResponsibleAIPolicyViolation, revised prompt: A peaceful harbour at dusk',
		);
		expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', code: 'content_policy_violation', innerCode: 'ResponsibleAIPolicyViolation' });
	});

	test('expiresAt only where URLs are documented to expire: Azure yes, a compatible server (LocalAI) no', async () => {
		server.set({ flavor: 'localai' });
		const local = await runCreateImage(server, [{ prompt: 'a llama' }], { model: 'stablediffusion', options: { size: '512x512' } });
		expect(local.result[0].json.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/generated-images\//);
		expect(local.result[0].json).not.toHaveProperty('expiresAt');

		const onAzure = await runCreateImage(
			server,
			[{ prompt: 'a lantern' }],
			{ authentication: 'azureOpenAiImagesApi', model: 'dalle3', options: { responseFormat: 'url' } },
			{ credentials: { azureOpenAiImagesApi: { endpoint: server.url, apiKey: server.apiKey, apiStyle: 'deployments', apiVersion: '2025-04-01-preview' } } },
		);
		expect(onAzure.error?.message).toBeUndefined();
		const json = onAzure.result[0].json;
		expect(Date.parse(json.expiresAt as string) - Date.parse(json.createdAt as string)).toBe(60 * 60_000);
	});
});

describe('5. a retry must not pay twice without saying so', () => {
	const attemptsOf = (prompt: string) => generations(server).filter((r) => (r.body as { prompt?: string })?.prompt === prompt);
	const BILLED = /The request may have been completed and billed, so it was not sent again; to retry it anyway \(and maybe pay twice\), turn on Options › Retry When Outcome Is Unknown$/;

	test.each([
		['no answer within the timeout', 'slow [hangx1]', /^No answer from http:\/\/127\.0\.0\.1:\d+ within 1000 ms\. /],
		['the connection lost after sending', 'dropped [resetx1]', /^The connection to http:\/\/127\.0\.0\.1:\d+ was lost before its answer arrived: the connection was reset\. /],
	])('%s: not retried by default; the item says it may have been billed and how to allow the retry', async (_what, prompt, start) => {
		const run = await runCreateImage(server, [{ prompt }], { onError: 'continueRegularOutput', options: { timeout: 1000, maxRetries: 3 } });
		expect(attemptsOf(prompt)).toHaveLength(1);
		expect(errorMessage(run.result[0])).toMatch(start);
		expect(errorMessage(run.result[0])).toMatch(BILLED);
	});

	test.each([
		['an answer cut off mid-body', { reset: true as const, afterBytes: 200 }],
		['an answer that stalls mid-body until the timeout', { stall: true as const, afterBytes: 300 }],
	])('%s: not retried by default, and the item says it may have been billed', async (_what, step) => {
		server.script(step);
		const run = await runCreateImage(server, [{ prompt: 'half an answer' }], { onError: 'continueRegularOutput', options: { timeout: 1000, maxRetries: 3 } });
		expect(attemptsOf('half an answer')).toHaveLength(1);
		expect(run.result[0].binary).toBeUndefined();
		expect(errorMessage(run.result[0])).toMatch(BILLED);
	});

	test.each([
		['no answer within the timeout', 'slow again [hangx1]'],
		['the connection lost after sending', 'dropped again [resetx1]'],
	])('%s: retried with Retry When Outcome Is Unknown on', async (_what, prompt) => {
		const run = await runCreateImage(server, [{ prompt }], { options: { timeout: 1000, maxRetries: 3, retryOnUnknownOutcome: true } });
		expect(run.error?.message).toBeUndefined();
		expect(attemptsOf(prompt)).toHaveLength(2);
		expect(run.result[0].binary?.data.mimeType).toBe('image/png');
	});

	test('failures where nothing was made are still retried by default: 408, 409, 429, 5xx and a refused connection', async () => {
		const prompts = ['a [status:408x1]', 'b [status:409x1]', 'c [status:429x1][retry-after-ms:10]', 'd [status:500x1]', 'e [status:503x1]'];
		const run = await runCreateImage(server, prompts.map((prompt) => ({ prompt })), { options: { maxRetries: 1 } });
		expect(run.error?.message).toBeUndefined();
		expect(prompts.map((prompt) => attemptsOf(prompt).length)).toEqual([2, 2, 2, 2, 2]);

		const refused = await runCreateImage(server, [{ prompt: 'nobody home' }], { options: { maxRetries: 1 } }, {
			credentials: openAiCredentials(server, { baseUrl: 'http://127.0.0.1:9/v1' }),
		});
		expect(refused.error?.message).toMatch(/^Could not reach http:\/\/127\.0\.0\.1:9: connection refused \(after 2 attempts\)$/);
	});

	test('Retry When Outcome Is Unknown from an expression: text "true" turns it on; other text is refused before anything is sent', async () => {
		const prompt = 'dropped, by expression [resetx1]';
		const on = await runCreateImage(server, [{ prompt, retry: ' true ' }], { options: { timeout: 1000, maxRetries: 3, retryOnUnknownOutcome: '={{ $json.retry }}' } });
		expect(on.error?.message).toBeUndefined();
		expect(attemptsOf(prompt)).toHaveLength(2);

		const refused = await runCreateImage(server, [{ prompt: 'never sent [resetx1]', retry: 'yes' }], { options: { maxRetries: 3, retryOnUnknownOutcome: '={{ $json.retry }}' } });
		expect(refused.error?.message).toBe('[item 0] Options › Retry When Outcome Is Unknown: "yes" is not accepted; expected true or false');
		expect(attemptsOf('never sent [resetx1]')).toHaveLength(0);
	});

	test('a gateway timeout (504, 524) is an unknown outcome: not sent again by default, sent again with Retry When Outcome Is Unknown on', async () => {
		const held = await runCreateImage(server, [{ prompt: 'a [status:504x1]' }, { prompt: 'b [status:524x1]' }], { onError: 'continueRegularOutput', options: { maxRetries: 3 } });
		expect(attemptsOf('a [status:504x1]')).toHaveLength(1);
		expect(attemptsOf('b [status:524x1]')).toHaveLength(1);
		const errors = held.result.map((item) => errorMessage(item));
		expect(errors).toHaveLength(2);
		for (const message of errors) {
			expect(message).toMatch(/The request may have been completed and billed, so it was not sent again; to retry it anyway \(and maybe pay twice\), turn on Options › Retry When Outcome Is Unknown$/);
		}

		const allowed = await runCreateImage(server, [{ prompt: 'c [status:504x1]' }], { options: { maxRetries: 3, retryOnUnknownOutcome: true } });
		expect(allowed.error?.message).toBeUndefined();
		expect(attemptsOf('c [status:504x1]')).toHaveLength(2);
		expect(allowed.result).toHaveLength(1);
	});

	test('with no retries left, an unknown outcome still says it may have been billed', async () => {
		const run = await runCreateImage(server, [{ prompt: 'once [hang]' }], { options: { timeout: 1000, maxRetries: 0 } });
		expect(run.error?.message).toMatch(/within 1000 ms\. The request may have been completed and billed$/);
	});
});
