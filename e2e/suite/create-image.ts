/**
 * The Create Image node inside one real n8n host: the packed package installed the way n8n's
 * installer does, the example workflow and the fixtures under e2e/fixtures/ run with
 * `n8n execute` against the project's image server, and the run data checked.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { QUOTA_MESSAGE } from '../../test/server/errors';
import { startImageServer, type ImageServer } from '../../test/server';
import type { HostInfo } from '../lib/hosts';
import { N8nInstance, nodeOutput, type ExecuteResult, type N8nItem, type N8nRun } from '../lib/n8n';
import { runBatchChecks } from './batch';
import { hostPhotos, runEditChecks, withPhotoUrls } from './edit-image';
import { Checks, seconds, type Limiter, type Log } from './runner';

const REPO = resolve(__dirname, '..', '..');
const EXAMPLE = join(REPO, 'examples', 'create-images.workflow.json');
const EDIT_EXAMPLE = join(REPO, 'examples', 'create-then-edit.workflow.json');
const EDIT_URLS_EXAMPLE = join(REPO, 'examples', 'edit-from-urls.workflow.json');
const FIXTURES = join(REPO, 'e2e', 'fixtures');
const NODE = 'Create Image';

/** The credential the example workflow names (its id and name, unchanged). */
const CREDENTIAL = { id: 'createImageExampleCred', name: 'OpenAI Images API', type: 'openAiImagesApi' };
/** The credential of almost-right.workflow.json: its Base URL pasted as a whole request URL. */
const PASTED_CREDENTIAL = { id: 'almostRightCred', name: 'Pasted request URL', type: 'openAiImagesApi' };
/** The Azure credential of edit-refusals.workflow.json (the dated deployments route, on the image server). */
const AZURE_DATED_CREDENTIAL = { id: 'azureDatedCred', name: 'Azure (dated route)', type: 'azureOpenAiImagesApi' };

/** Workflow files, imported in one n8n start; executed in parallel (within the shared limiter). */
const WORKFLOWS = {
	example: EXAMPLE,
	raw: join(FIXTURES, 'raw-response.workflow.json'),
	continueOnFail: join(FIXTURES, 'continue-on-fail.workflow.json'),
	errorOutput: join(FIXTURES, 'error-output.workflow.json'),
	stopOnError: join(FIXTURES, 'stop-on-error.workflow.json'),
	badSize: join(FIXTURES, 'bad-size.workflow.json'),
	editExample: EDIT_EXAMPLE,
	editNoFile: join(FIXTURES, 'edit-no-file.workflow.json'),
	editUrls: EDIT_URLS_EXAMPLE,
	editRefusals: join(FIXTURES, 'edit-refusals.workflow.json'),
	almostRight: join(FIXTURES, 'almost-right.workflow.json'),
	streaming: join(FIXTURES, 'streaming.workflow.json'),
	gif: join(FIXTURES, 'gif.workflow.json'),
	nodeWide: join(FIXTURES, 'node-wide-continue.workflow.json'),
	cost: join(FIXTURES, 'cost.workflow.json'),
} as const;
type WorkflowName = keyof typeof WORKFLOWS;

/** A failed item's `$json.error` in the continue modes (nodes/shared/errorItem.ts). */
interface ErrorJson {
	message: string;
	requestId?: string;
	[detail: string]: unknown;
}

/** What the example's Set node emits, one item per prompt. */
const EXAMPLE_PROMPTS = [
	{ slug: 'lighthouse', prompt: 'A watercolour lighthouse at dawn, soft pastel light', size: '1536x1024', width: 1536, height: 1024 },
	{ slug: 'ramen', prompt: 'A steaming bowl of ramen, top-down food photo', size: '1024x1024', width: 1024, height: 1024 },
	{ slug: 'fox', prompt: "A red fox curled up in fresh snow, children's book style", size: '1024x1536', width: 1024, height: 1536 },
];

export interface HostSuiteInput {
	/** Resolves when the host is installed and the package packed (rejects: every check fails). */
	ready: Promise<{ host: HostInfo; tgz: string }>;
	name: string;
	/** Shared by all hosts: bounds the n8n processes running at once. */
	limiter: Limiter;
	log: Log;
}

export interface HostSuiteResult {
	name: string;
	checks: Checks;
	timings: Array<[string, number]>;
	/** Host failures that a second run of the workflow got past. */
	warnings: string[];
}

export async function runHostSuite({ ready, name, limiter, log }: HostSuiteInput): Promise<HostSuiteResult> {
	const prefix = `[${name}]`;
	const say = (line: string) => log(`${prefix} ${line}`);
	const checks = new Checks(prefix, log);
	const timings: Array<[string, number]> = [];
	const warnings: string[] = [];
	const timed = async <T>(label: string, fn: () => Promise<T>, limited = true): Promise<T> => {
		const task = async () => {
			const started = Date.now();
			const result = await fn();
			timings.push([label, Date.now() - started]);
			say(`${label}: ${seconds(started)}`);
			return result;
		};
		return limited ? limiter.run(task) : task();
	};

	let server: ImageServer | undefined;
	let instance: N8nInstance | undefined;
	const setup = (async () => {
		const { host, tgz } = await ready;
		say(`n8n ${host.n8nVersion}, Node ${host.nodeBin === process.execPath ? process.version : host.nodeBin}`);
		server = await startImageServer({ apiKey: `sk-e2e-${randomBytes(16).toString('hex')}` });
		const { apiKey, baseUrl } = server;
		instance = await N8nInstance.create(host);
		const n8n = instance;
		await timed('install package', () => n8n.installPackage(tgz), false);
		await timed('import credentials', () =>
			n8n.importCredentials([
				{ ...CREDENTIAL, data: { apiKey, baseUrl } },
				{ ...PASTED_CREDENTIAL, data: { apiKey, baseUrl: `${baseUrl}/images/generations` } },
				{ ...AZURE_DATED_CREDENTIAL, data: { endpoint: server!.url, apiKey, apiStyle: 'deployments', apiVersion: '2025-04-01-preview' } },
			]),
		);
		// The photos the URL example edits: images the image server serves at addresses of its own.
		const photos = await hostPhotos(server);
		const names = Object.keys(WORKFLOWS) as WorkflowName[];
		const workflows = names.map((key) => (key === 'editUrls' ? withPhotoUrls(WORKFLOWS[key], photos) : WORKFLOWS[key]));
		const ids = await timed(`import ${names.length} workflows`, () => n8n.importWorkflows(workflows));
		return { server, instance: n8n, photos, ids: Object.fromEntries(names.map((key, i) => [key, ids[i]])) as Record<WorkflowName, string> };
	})();

	const runs = {} as Record<WorkflowName, Promise<ExecuteResult>>;
	/** When each workflow's last run started: the image server's requests are told apart by it. */
	const attemptStarted = {} as Record<WorkflowName, number>;
	for (const key of Object.keys(WORKFLOWS) as WorkflowName[]) {
		runs[key] = setup.then(async ({ instance: n8n, ids }) => {
			const execute = async (label: string) => {
				attemptStarted[key] = Date.now();
				const result = await timed(label, () => n8n.execute(ids[key]));
				if (process.env.E2E_KEEP_INSTANCES) {
					const log = `${exitText(result)}\n${result.stdout}\n--- stderr\n${result.stderr}`;
					writeFileSync(join(n8n.userFolder, `${label.replace(/\W+/g, '-')}.log`), log);
				}
				return result;
			};
			const result = await execute(`execute ${key}`);
			const flake = hostFlake(result);
			if (!flake) return result;
			say(`WARNING execute ${key}: ${flake}; running it once more`);
			warnings.push(`${key}: ${flake}`);
			return execute(`execute ${key} again`);
		});
		runs[key].catch(() => undefined); // awaited by the checks
	}
	const context = async () => {
		const { server: images, instance: n8n } = await setup;
		return { images, n8n };
	};

	try {
		await checks.check('example: Result has the 3 images as PNG files of the requested sizes', async () => {
			const { n8n } = await context();
			const run = succeeded(await runs.example);
			const result = nodeOutput(run, NODE, 0);
			assert.equal(result.length, 3, `Result items: ${summary(result)}`);
			result.forEach((item, i) => {
				const expected = EXAMPLE_PROMPTS[i];
				const file = item.binary?.data;
				assert.ok(file, `item ${i} has no binary "data": ${summary([item])}`);
				assert.equal(file.mimeType, 'image/png');
				assert.equal(file.fileName, `${expected.slug}.png`);
				assert.equal(file.fileExtension, 'png');
				const bytes = n8n.readBinary(file);
				assert.ok(bytes.length > 0, `item ${i}: empty file`);
				assert.deepEqual(pngSize(bytes), { width: expected.width, height: expected.height }, `item ${i}: ${file.fileName}`);
			});
		});

		await checks.check('example: Result metadata, pairedItem, and the requests sent', async () => {
			const { images } = await context();
			const run = succeeded(await runs.example);
			const result = nodeOutput(run, NODE, 0);
			assert.equal(result.length, 3);
			result.forEach((item, i) => {
				const expected = EXAMPLE_PROMPTS[i];
				const json = item.json;
				assert.equal(json.model, 'gpt-image-2');
				assert.equal(json.prompt, expected.prompt);
				assert.equal(json.size, expected.size);
				assert.equal(json.quality, 'low');
				assert.equal(json.outputFormat, 'png');
				assert.equal(json.index, 0);
				assert.match(String(json.requestId), /^req_/, 'requestId');
				assert.ok(json.usage && typeof json.usage === 'object', 'usage');
				assert.ok(!Number.isNaN(Date.parse(String(json.createdAt))), `createdAt ${json.createdAt}`);
				assert.ok(JSON.stringify(json).length < 4000, 'no base64 payload in the JSON');
				assert.deepEqual(paired(item), [i], `item ${i} pairedItem ${JSON.stringify(item.pairedItem)}`);
			});
			const sent = generations(images, (prompt) => EXAMPLE_PROMPTS.some((p) => p.prompt === prompt), attemptStarted.example);
			assert.equal(sent.length, 3, 'generation requests for the example');
			for (const expected of EXAMPLE_PROMPTS) {
				const body = sent.find((r) => (r.body as { prompt: string }).prompt === expected.prompt)?.body;
				assert.deepEqual(
					pick(body, ['model', 'prompt', 'size', 'quality']),
					{ model: 'gpt-image-2', prompt: expected.prompt, size: expected.size, quality: 'low' },
				);
			}
		});

		await checks.check('example: Configuration output has the 3 prompts unchanged; both NoOp nodes ran', async () => {
			const run = succeeded(await runs.example);
			const prompts = EXAMPLE_PROMPTS.map(({ slug, prompt, size }) => ({ slug, prompt, size }));
			const configuration = nodeOutput(run, NODE, 1);
			assert.deepEqual(
				configuration.map((item) => item.json),
				prompts,
			);
			assert.deepEqual(configuration.map(paired), [[0], [1], [2]]);
			const images = nodeOutput(run, 'Images');
			assert.deepEqual(
				images.map((item) => item.json),
				nodeOutput(run, NODE, 0).map((item) => item.json),
			);
			assert.deepEqual(
				images.map((item) => item.binary?.data?.fileName),
				['lighthouse.png', 'ramen.png', 'fox.png'],
			);
			assert.deepEqual(
				nodeOutput(run, 'Prompts Used').map((item) => item.json),
				prompts,
			);
		});

		await checks.check('Raw Response: one { body, status } row per request, a 400 included, workflow succeeds', async () => {
			const run = succeeded(await runs.raw);
			const rows = nodeOutput(run, NODE, 0);
			assert.equal(rows.length, 2, `rows: ${summary(rows)}`);
			assert.deepEqual(Object.keys(rows[0].json).sort(), ['body', 'status']);
			assert.equal(rows[0].json.status, 200);
			const ok = rows[0].json.body as { data: Array<{ b64_json: string }> };
			assert.deepEqual(pngSize(Buffer.from(ok.data[0].b64_json, 'base64')), { width: 1024, height: 1024 });
			assert.equal(rows[1].json.status, 400);
			const blocked = rows[1].json.body as { error: { code: string; message: string } };
			assert.equal(blocked.error.code, 'moderation_blocked');
			assert.match(blocked.error.message, /rejected by the safety system/);
			assert.deepEqual(rows.map(paired), [[0], [1]]);
			assert.equal(nodeOutput(run, NODE, 1).length, 2, 'Configuration items');
		});

		await checks.check('On Error = Continue: the error item in the failed item\'s place, with pairedItem and its details', async () => {
			const run = succeeded(await runs.continueOnFail);
			const result = nodeOutput(run, NODE, 0);
			assert.equal(result.length, 4, `Result items: ${summary(result)}`);
			assert.equal(result[0].binary?.data?.fileName, 'continue_0.png');
			assert.equal(result[2].binary?.data?.fileName, 'continue_2.png');
			assert.equal(result[1].binary, undefined);
			assert.deepEqual(result.map(paired), [[0], [1], [2], [3]]);
			const blocked = result[1].json.error as ErrorJson;
			assert.match(blocked.message, /^Your request was rejected by the safety system/);
			assert.deepEqual(pick(blocked, ['itemIndex', 'status', 'type', 'code', 'attempts', 'outcomeUnknown']), {
				itemIndex: 1, status: 400, type: 'image_generation_user_error', code: 'moderation_blocked', attempts: 1, outcomeUnknown: false,
			});
			assert.match(String(blocked.requestId), /^req_[0-9a-f]{32}$/);
			assert.deepEqual(result[3].json, {
				error: {
					message: QUOTA_MESSAGE,
					description: 'HTTP 429, type: insufficient_quota, code: insufficient_quota',
					itemIndex: 3, status: 429, type: 'insufficient_quota', code: 'insufficient_quota', attempts: 1,
					requestId: (result[3].json.error as ErrorJson).requestId, outcomeUnknown: false,
				},
			});
			assert.equal(nodeOutput(run, NODE, 1).length, 4, 'Configuration items');
		});

		await checks.check('On Error = Continue (using error output): failed items on the third output, with the details a workflow branches on', async () => {
			const run = succeeded(await runs.errorOutput);
			const result = nodeOutput(run, NODE, 0);
			assert.deepEqual(result.map(paired), [[0], [2]], `Result items: ${summary(result)}`);
			assert.ok(result.every((item) => item.binary?.data?.mimeType === 'image/png'));
			assert.equal(nodeOutput(run, NODE, 1).length, 7, 'Configuration items');
			const failed = nodeOutput(run, NODE, 2);
			assert.deepEqual(failed.map(paired), [[1], [3], [4], [5], [6]], `error output: ${summary(failed)}`);
			// n8n adds the input item's fields (the prompt) beside the node's `error`.
			assert.deepEqual(failed[0].json, {
				prompt: 'error-output: [status:400] a rejected request',
				error: {
					message: 'Invalid request (simulated by the test server).',
					description: 'HTTP 400, type: invalid_request_error',
					itemIndex: 1, status: 400, type: 'invalid_request_error', attempts: 1,
					requestId: (failed[0].json.error as ErrorJson).requestId, outcomeUnknown: false,
				},
			});
			const [, rateLimited, quota, timedOut, badSize] = failed.map((item) => item.json.error as ErrorJson);
			assert.match(rateLimited.message, /\(after 3 attempts\)$/);
			assert.deepEqual(pick(rateLimited, ['status', 'code', 'attempts']), { status: 429, code: 'rate_limit_exceeded', attempts: 3 });
			assert.deepEqual(pick(quota, ['message', 'status', 'code', 'attempts']), { message: QUOTA_MESSAGE, status: 429, code: 'insufficient_quota', attempts: 1 });
			assert.match(timedOut.message, /^No answer from http:\/\/127\.0\.0\.1:\d+ within 3000 ms\. The request may have been completed and billed, so it was not sent again/);
			assert.deepEqual(pick(timedOut, ['status', 'code', 'timedOut', 'attempts', 'outcomeUnknown']), { status: undefined, code: 'ECONNABORTED', timedOut: true, attempts: 1, outcomeUnknown: true });
			assert.match(badSize.message, /^\[item 6\] Options › Size: "1000x1000" is not accepted by gpt-image-2/);
			assert.deepEqual(pick(badSize, ['itemIndex', 'field', 'status', 'outcomeUnknown']), { itemIndex: 6, field: 'Options › Size', status: undefined, outcomeUnknown: false });
			assert.ok(!JSON.stringify(failed).includes('b64_json'), 'no image data in error items');
			assert.equal(nodeOutput(run, 'Failed').length, 5, 'the node on the error output');
			// An expression on the error output tells the failures apart.
			assert.deepEqual(
				nodeOutput(run, 'Why').map((item) => [item.json.item, item.json.kind, item.json.attempts]),
				[[1, 'HTTP 400', 1], [3, 'rate limit', 3], [4, 'quota', 1], [5, 'maybe billed', 1], [6, 'input: Options › Size', 0]],
			);
			assert.equal(nodeOutput(run, 'Images').length, 2);
			assert.equal(nodeOutput(run, 'Configurations').length, 7);
		});

		await checks.check('On Error = Stop Workflow: `n8n execute` exits 1 with the API\'s message', async () => {
			const result = await runs.stopOnError;
			assert.equal(result.exitCode, 1, `${exitText(result)}; stderr: ${tail(result.stderr)}`);
			const run = mustHaveRun(result);
			const error = run.data.resultData.error as { message?: string; description?: string; context?: { itemIndex?: number } };
			assert.equal(error?.message, QUOTA_MESSAGE, 'the API\'s message, not retried (no "after N attempts")');
			assert.equal(error?.description, 'HTTP 429, type: insufficient_quota, code: insufficient_quota');
			assert.equal(error?.context?.itemIndex, 1);
			assert.equal(run.data.resultData.runData[NODE]?.[0]?.error?.message, QUOTA_MESSAGE);
			assert.equal(run.data.resultData.lastNodeExecuted, NODE);
			assert.equal(run.data.resultData.runData.Images, undefined, 'the next node must not run');
		});

		await checks.check('Validation: a bad size fails before any request, naming the item and the field', async () => {
			const { images } = await context();
			const result = await runs.badSize;
			assert.equal(result.exitCode, 1, `${exitText(result)}; stderr: ${tail(result.stderr)}`);
			const run = mustHaveRun(result);
			const message = run.data.resultData.error?.message ?? '';
			assert.match(
				message,
				/^\[item 1\] Options › Size: "1000x1000" is not accepted by gpt-image-2: both edges must be multiples of 16\b/,
			);
			assert.equal(run.data.resultData.runData[NODE]?.[0]?.error?.message, message);
			const sent = generations(images, (prompt) => prompt.startsWith('bad-size:'), 0);
			assert.equal(sent.length, 0, 'generation requests for the bad-size workflow');
		});

		await checks.check('Almost right (issue 8): a pasted Base URL, numeric text, an empty b64_json next to a url, a local 404, a dropped connection', async () => {
			const { images, n8n } = await context();
			const run = succeeded(await runs.almostRight);
			const result = nodeOutput(run, NODE, 0);
			assert.equal(result.length, 4, `Result items: ${summary(result)}`);
			assert.deepEqual(result.map(paired), [[0], [0], [1], [2]]);
			// 1. An empty b64_json next to a url: the url's real image, two JPEG files.
			for (const [index, item] of result.slice(0, 2).entries()) {
				const file = item.binary?.data;
				assert.ok(file, `image ${index} has no binary "data": ${summary([item])}`);
				assert.equal(file.fileName, `image_0_${index}.jpg`);
				assert.equal(file.mimeType, 'image/jpeg');
				assert.deepEqual([...n8n.readBinary(file).subarray(0, 3)], [0xff, 0xd8, 0xff], 'JPEG bytes');
			}
			// 4. A local server's words first; OpenAI's retirement as OpenAI's fact after them. The
			// n8n under test reads the machine's clock (no pin reaches another process): the note
			// is there from 2026-10-23 on, so on any day this suite can run from now on.
			const retired = Date.now() >= Date.parse('2026-10-23T00:00:00Z');
			assert.equal(
				(result[2].json.error as ErrorJson).message,
				`model 'gpt-image-1' not found` +
					(retired ? ` (note: OpenAI retired its model "gpt-image-1" on 2026-10-23 and names gpt-image-2.5-sunburst or gpt-image-2.5-flare as its replacement)` : ''),
			);
			// 5. A connection lost after sending is not sent again, and the item says why.
			assert.match((result[3].json.error as ErrorJson).message, /may have been completed and billed, so it was not sent again; .*Retry When Outcome Is Unknown$/);
			const sent = generations(images, (prompt) => prompt.startsWith('almost-right:'), attemptStarted.almostRight);
			assert.equal(sent.filter((r) => String((r.body as { prompt: string }).prompt).includes('[resetx1]')).length, 1, 'attempts of the dropped request');
			// 3. The pasted request URL reduced to its base; 2. numeric text sent as JSON numbers.
			assert.deepEqual([...new Set(sent.map((r) => r.path))], ['/v1/images/generations']);
			const first = sent.find((r) => String((r.body as { prompt: string }).prompt).includes('[lie:b64-empty-url]'))?.body;
			assert.deepEqual(pick(first, ['n', 'output_format', 'output_compression']), { n: 2, output_format: 'jpeg', output_compression: 80 });
		});

		await checks.check('Stream: partial images before each final image; a stream longer than the timeout is not cut, a silent one is', async () => {
			const { images, n8n } = await context();
			const run = succeeded(await runs.streaming);
			const all = nodeOutput(run, NODE, 0).filter((item) => paired(item)[0] <= 2);
			// 3. A stream silent after its first event, for longer than the 2000 ms timeout: an error item.
			assert.equal(all.length, 7, `Result items: ${summary(all)}`);
			const stalled = all[6];
			assert.deepEqual(paired(stalled), [2]);
			assert.equal(stalled.binary, undefined);
			assert.match((stalled.json.error as ErrorJson).message, /^The event stream from http:\/\/127\.0\.0\.1:\d+ was silent for more than 2000 ms\. The request may have been completed and billed$/);
			const result = all.slice(0, 6);
			assert.deepEqual(
				result.map((item) => [paired(item)[0], item.json.index, item.json.partialImageIndex ?? null, item.binary?.data?.fileName]),
				[
					[0, 0, 0, 'kite_partial0.png'],
					[0, 0, 1, 'kite_partial1.png'],
					[0, 0, null, 'kite.png'],
					[1, 0, 0, 'lantern_partial0.png'],
					[1, 0, 1, 'lantern_partial1.png'],
					[1, 0, null, 'lantern.png'],
				],
				`Result items: ${summary(result)}`,
			);
			for (const item of result) {
				assert.deepEqual(pngSize(n8n.readBinary(item.binary!.data)), { width: 1024, height: 1024 }, String(item.binary?.data?.fileName));
				assert.equal(item.json.size, '1024x1024');
				assert.equal(typeof (item.json.usage as { total_tokens?: unknown } | undefined)?.total_tokens, item.json.partialImageIndex === undefined ? 'number' : 'undefined');
			}
			// Three events 700 ms apart take longer than the 2000 ms Request Timeout: one attempt each.
			const sent = generations(images, (prompt) => prompt.startsWith('stream:'), attemptStarted.streaming);
			assert.equal(sent.length, 7, 'generation requests for the streaming workflow');
			for (const request of sent) assert.deepEqual(pick(request.body, ['stream', 'partial_images']), { stream: true, partial_images: 2 });
		});

		await checks.check('Stream, answers real servers sent: a url downloaded without the key, a reset after the image is no failure and sends nothing again, the event: line names untyped events, 1 of 2 images kept beside the error', async () => {
			const { images, n8n } = await context();
			const run = succeeded(await runs.streaming);
			const all = nodeOutput(run, NODE, 0).filter((item) => paired(item)[0] >= 3);
			assert.deepEqual(
				all.map((item) => [paired(item)[0], item.json.index ?? null, item.json.partialImageIndex ?? null, item.binary?.data?.fileName ?? null]),
				[
					[3, 0, 0, 'url_partial0.png'],
					[3, 0, 1, 'url_partial1.png'],
					[3, 0, null, 'url.png'],
					[4, 0, 0, 'reset_partial0.png'],
					[4, 0, 1, 'reset_partial1.png'],
					[4, 0, null, 'reset.png'],
					[5, 0, 0, 'untyped_partial0.png'],
					[5, 0, 1, 'untyped_partial1.png'],
					[5, 0, null, 'untyped.png'],
					[6, 0, 0, 'short_partial0.png'],
					[6, 0, 1, 'short_partial1.png'],
					[6, 0, null, 'short.png'],
					[6, null, null, null],
				],
				`Result items: ${summary(all)}`,
			);
			for (const item of all.filter((entry) => entry.binary)) {
				assert.deepEqual(pngSize(n8n.readBinary(item.binary!.data)), { width: 1024, height: 1024 }, String(item.binary?.data?.fileName));
			}
			const short = all[12].json.error as ErrorJson;
			assert.match(short.message, /^The event stream from http:\/\/127\.0\.0\.1:\d+ was cut after 1 of 2 images: the connection was reset\. Of this request, the image that arrived is delivered; the missing one may have been completed and billed, and was not asked for again/);
			assert.equal(short.outcomeUnknown, true);
			// The url: fetched once, without the API key; each request sent once, Retry When Outcome Is Unknown on or off.
			const urlPath = new URL(String(all[2].json.url)).pathname;
			const downloads = images.requests.filter((r) => r.kind === 'file' && r.path === urlPath);
			assert.equal(downloads.length, 1, 'downloads of the streamed url');
			assert.equal(downloads[0].headers.authorization, undefined);
			for (const slug of ['url', 'reset', 'untyped', 'short']) {
				const prompt = (p: string) => p.startsWith('stream:') && p.includes({ url: '[stream-url]', reset: '[stream-reset:3]', untyped: '[stream-untyped]', short: '[stream-reset:4]' }[slug]!);
				assert.equal(generations(images, prompt, attemptStarted.streaming).length, 1, `requests for ${slug}`);
			}
			// Token usage in the run's metadata: n8n 2.x (accumulateTokenUsage); n8n 1.x has no such helper.
			const task = run.data.resultData.runData[NODE][0] as { metadata?: { tokenUsage?: { inputTokens: number; outputTokens: number } } };
			const items = nodeOutput(run, NODE, 0);
			const usages = items.map((item) => item.json.usage as { input_tokens: number; output_tokens: number } | undefined).filter((usage) => usage !== undefined);
			const sum = { inputTokens: usages.reduce((total, usage) => total + usage.input_tokens, 0), outputTokens: usages.reduce((total, usage) => total + usage.output_tokens, 0) };
			if (name === 'n8n-1') assert.equal(task.metadata?.tokenUsage, undefined);
			else assert.deepEqual(task.metadata?.tokenUsage, sum);
		});

		await checks.check('GIF: gpt-image-2.6-flare makes an animated GIF file (image/gif, flag.gif) with the frames asked for', async () => {
			const { images, n8n } = await context();
			const run = succeeded(await runs.gif);
			const result = nodeOutput(run, NODE, 0);
			assert.equal(result.length, 1, `Result items: ${summary(result)}`);
			const file = result[0].binary?.data;
			assert.ok(file, `no binary "data": ${summary(result)}`);
			assert.equal(file.mimeType, 'image/gif');
			assert.equal(file.fileName, 'flag.gif');
			assert.equal(file.fileExtension, 'gif');
			assert.equal(result[0].json.outputFormat, 'gif');
			const bytes = n8n.readBinary(file);
			assert.equal(bytes.subarray(0, 6).toString('latin1'), 'GIF89a');
			const meta = await sharp(bytes, { animated: true }).metadata();
			assert.deepEqual({ pages: meta.pages, width: meta.width, delay: meta.delay }, { pages: 4, width: 1024, delay: [120, 120, 120, 120] });
			const sent = generations(images, (prompt) => prompt.startsWith('gif:'), attemptStarted.gif);
			assert.equal(sent.length, 1, 'generation requests for the GIF workflow');
			assert.deepEqual(pick(sent[0].body, ['model', 'output_format', 'frame_count', 'frame_duration_ms', 'complexity']), {
				model: 'gpt-image-2.6-flare',
				output_format: 'gif',
				frame_count: 4,
				frame_duration_ms: 120,
				complexity: 'low',
			});
		});

		await checks.check('A node-wide failure (Concurrency 0) under both continue modes: one error item per input item, in order; the input stays off Result', async () => {
			const { images } = await context();
			const run = succeeded(await runs.nodeWide);
			const expected = /^Options › Concurrency: 0 is not accepted; expected a whole number from 1 to \d+$/;
			const regular = nodeOutput(run, 'Continue', 0);
			assert.deepEqual(regular.map(paired), [[0], [1]], `Result items: ${summary(regular)}`);
			for (const [index, item] of regular.entries()) {
				assert.match((item.json.error as ErrorJson).message, expected);
				assert.deepEqual(pick(item.json.error, ['itemIndex', 'field']), { itemIndex: index, field: 'Options › Concurrency' });
				assert.equal(item.json.prompt, undefined, 'the input item is not passed through on Result');
				assert.equal(item.binary, undefined);
			}
			assert.equal(nodeOutput(run, 'Continue', 1).length, 2, 'Configuration items');
			assert.equal(nodeOutput(run, 'Error Output', 0).length, 0, 'Result items of the error-output node');
			const failed = nodeOutput(run, 'Error Output', 2);
			assert.deepEqual(failed.map(paired), [[0], [1]], `error output: ${summary(failed)}`);
			for (const item of failed) assert.match((item.json.error as ErrorJson).message, expected);
			assert.equal(nodeOutput(run, 'Error Output', 1).length, 2, 'Configuration items of the error-output node');
			assert.equal(generations(images, (prompt) => prompt.startsWith('node-wide:'), attemptStarted.nodeWide).length, 0, 'nothing sent');
		});

		await runEditChecks({
			checks,
			example: runs.editExample,
			noFile: runs.editNoFile,
			urls: runs.editUrls,
			refusals: runs.editRefusals,
			started: () => ({ example: attemptStarted.editExample, urls: attemptStarted.editUrls }),
			photos: async () => (await setup).photos,
			context,
			succeeded,
			mustHaveRun,
			paired,
		});

		await checks.check('Cost: estimatedCost on the first image of each request, from its usage and Prices per 1M Tokens; a Summarize node sums the run', async () => {
			const run = succeeded(await runs.cost);
			const result = nodeOutput(run, NODE, 0);
			assert.equal(result.length, 6, `Result items: ${summary(result)}`);
			const costs: number[] = [];
			result.forEach((item, i) => {
				const json = item.json as { index: number; prompt: string; usage?: { input_tokens_details: { text_tokens: number; image_tokens: number }; output_tokens: number }; estimatedCost?: Record<string, unknown> };
				if (json.index !== 0) {
					assert.equal(json.estimatedCost, undefined, `item ${i}: the cost is per request, on its first image only`);
					return;
				}
				// The image server's usage: ceil(prompt length / 4) text tokens; 272 output tokens per 1024x1024 low image, 2 images.
				const text = Math.ceil(json.prompt.length / 4);
				assert.deepEqual(json.usage?.input_tokens_details, { text_tokens: text, image_tokens: 0 }, `item ${i} usage`);
				assert.equal(json.usage?.output_tokens, 544, `item ${i} usage`);
				const usd = (text * 5 + 544 * 30) / 1_000_000;
				assert.deepEqual(json.estimatedCost, {
					usd: Number(usd.toFixed(10)),
					textInputTokens: text,
					imageInputTokens: 0,
					outputTokens: 544,
					rates: { textInput: 5, imageInput: 8, imageOutput: 30 },
					batch: false,
					source: 'Options › Prices per 1M Tokens',
				});
				costs.push(json.estimatedCost.usd as number);
			});
			assert.equal(costs.length, 3, 'one cost per request');
			const [total] = nodeOutput(run, 'Run Cost');
			assert.equal(total.json.sum_estimatedCost_usd, costs.reduce((sum, usd) => sum + usd, 0), `Run Cost: ${JSON.stringify(total.json)}`);
			say(`cost of the run (3 requests, 6 images): $${costs.reduce((sum, usd) => sum + usd, 0).toFixed(6)} (${costs.join(' + ')})`);
		});

		// After every workflow above has run: it changes the server's image mode and batch timing.
		await runBatchChecks({ checks, context, succeeded, paired, credential: { id: CREDENTIAL.id, name: CREDENTIAL.name } });

		await checks.check("every images request matched OpenAI's published schemas (the image server's judge, test/server/judge.ts)", async () => {
			const { images } = await context();
			await Promise.allSettled(Object.values(runs));
			const found = images.takeSchemaViolations().map((v) => `${v.method} ${v.path} (${v.schema}): ${v.errors.join('; ')}`);
			assert.deepEqual(found, []);
		});

		await checks.check('the API key appears nowhere in stdout, stderr or run data', async () => {
			const { images } = await context();
			const all = await Promise.all(Object.values(runs));
			const used = images.requests.filter((r) => r.headers.authorization === `Bearer ${images.apiKey}`);
			assert.ok(used.length >= 10, `the key was sent (${used.length} requests)`);
			for (const [key, result] of Object.keys(runs).map((k, i) => [k, all[i]] as const)) {
				for (const [where, text] of [
					['stdout', result.stdout],
					['stderr', result.stderr],
					['run data', JSON.stringify(result.run ?? null)],
				] as const) {
					assert.ok(!text.includes(images.apiKey), `${key}: the API key is in ${where}`);
					assert.ok(!text.includes(images.apiKey.slice(-20)), `${key}: part of the API key is in ${where}`);
				}
			}
		});
	} finally {
		await Promise.allSettled(Object.values(runs));
		await server?.close();
		if (process.env.E2E_KEEP_INSTANCES) say(`instance kept: ${instance?.userFolder}`);
		else instance?.dispose();
	}
	return { name, checks, timings, warnings };
}

/** The run data of a run that must have succeeded (exit 0, no workflow error). */
function succeeded(result: ExecuteResult): N8nRun {
	const run = mustHaveRun(result);
	const error = run.data.resultData.error?.message;
	assert.equal(result.exitCode, 0, `${exitText(result)}; error: ${error}; stderr: ${tail(result.stderr)}`);
	assert.equal(error, undefined);
	return run;
}

function mustHaveRun(result: ExecuteResult): N8nRun {
	assert.ok(result.run, `no run data (${exitText(result)}):\n${tail(result.stdout)}\n${tail(result.stderr)}`);
	return result.run;
}

function exitText(result: ExecuteResult): string {
	return `exit ${result.exitCode}${result.signal ? ` (${result.signal})` : ''}`;
}

/** The input item indexes an item is paired with. */
function paired(item: N8nItem): number[] {
	const list = Array.isArray(item.pairedItem) ? item.pairedItem : [item.pairedItem];
	return list.map((entry) => (typeof entry === 'number' ? entry : (entry as { item: number }).item));
}

/** Generation requests the server received since `since` whose prompt passes `prompt`. */
function generations(server: ImageServer, prompt: (prompt: string) => boolean, since: number) {
	return server.requests.filter(
		(r) =>
			r.kind === 'generation' &&
			r.receivedAt >= since &&
			prompt(String((r.body as { prompt?: unknown } | undefined)?.prompt ?? '')),
	);
}

/**
 * A failure of the host, not of the node, that a second run may not repeat: n8n killed by a
 * signal, or n8n 2.x's safe-regex budget (250 ms of wall time per call, in a vm) running out on
 * a starved CPU while it evaluates the node's `_cnd.regex` display conditions.
 */
function hostFlake(result: ExecuteResult): string | undefined {
	if (result.signal) return `n8n was ended by ${result.signal}`;
	if (/Regular expression execution timed out/.test(result.stdout + result.stderr)) {
		return 'n8n 2.x\'s safe-regex timed out (250 ms wall-clock budget; the machine is overloaded)';
	}
	return undefined;
}

function pick(value: unknown, keys: string[]): Record<string, unknown> {
	const object = (value ?? {}) as Record<string, unknown>;
	return Object.fromEntries(keys.map((key) => [key, object[key]]));
}

/** Width and height from a PNG's IHDR chunk (throws if it is not a PNG). */
export function pngSize(bytes: Buffer): { width: number; height: number } {
	const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
	assert.ok(bytes.subarray(0, 8).equals(signature), `not a PNG: ${bytes.subarray(0, 8).toString('hex')}`);
	assert.equal(bytes.subarray(12, 16).toString('latin1'), 'IHDR');
	return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function summary(items: N8nItem[]): string {
	return JSON.stringify(items.map((item) => ({ json: item.json, binary: item.binary && Object.keys(item.binary), pairedItem: item.pairedItem }))).slice(0, 1500);
}

function tail(text: string, lines = 15): string {
	return text.split('\n').slice(-lines).join('\n');
}
