/**
 * The queue-mode scenarios (run by e2e/queue/run.ts on a QueueCluster): each is one check.
 * Every workflow is Webhook -> Split Out -> Create Image, created and published through n8n's
 * public API, triggered by POSTing `{ items: [{ prompt, size }, ...] }` to its production
 * webhook (answered at once; the run goes through Redis to a worker). Each scenario has its own
 * image server (test/server, in this process) and a credential pointing at it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startImageServer, type ImageServer, type ImageServerOptions, type RecordedRequest } from '../../test/server';
import type { PublicExecution, PublicItem } from '../lib/n8n-api';
import type { QueueCluster } from '../lib/queue';
import sharp from 'sharp';
import { pngSize } from '../suite/create-image';

export type Log = (line: string) => void;

const NODE = 'Create Image';
const SIZES = ['1024x1024', '1536x1024', '1024x1536'] as const;
const FINISHED = new Set(['success', 'error', 'canceled', 'crashed']);

/** Scenario 2's provider limit and load (the issue's numbers). */
export const RATE_LIMIT = { perMinute: 60, errorRate: 0.1, executions: 4, itemsPerExecution: 30 };

interface Scenario {
	server: ImageServer;
	workflowId: string;
	webhookPath: string;
}

/** An image server, a credential for it and a published webhook workflow (with Edit Image after Create Image if `edit`). */
async function setUp(
	cluster: QueueCluster,
	name: string,
	server: ImageServerOptions,
	nodeOptions: Record<string, unknown>,
	edit = false,
	parameters: Record<string, unknown> = {},
): Promise<Scenario> {
	const imageServer = await startImageServer(server);
	try {
		const credentialId = await cluster.api.createCredential({
			name: `Image server (${name})`,
			type: 'openAiImagesApi',
			data: { apiKey: imageServer.apiKey, baseUrl: imageServer.baseUrl, organizationId: '', projectId: '' },
		});
		const webhookPath = `${name}-${randomUUID()}`;
		const workflow = webhookWorkflow(name, webhookPath, credentialId, nodeOptions, parameters);
		if (edit) addEditImage(workflow, credentialId, name);
		const workflowId = await cluster.api.createAndPublish(workflow);
		return { server: imageServer, workflowId, webhookPath };
	} catch (error) {
		await imageServer.close();
		throw error;
	}
}

function webhookWorkflow(name: string, path: string, credentialId: string, nodeOptions: Record<string, unknown>, parameters: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		name: `Queue suite: ${name}`,
		nodes: [
			{
				id: randomUUID(),
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: randomUUID(),
				parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
			},
			{
				id: randomUUID(),
				name: 'One Item per Prompt',
				type: 'n8n-nodes-base.splitOut',
				typeVersion: 1,
				position: [220, 0],
				parameters: { fieldToSplitOut: 'body.items', options: {} },
			},
			{
				id: randomUUID(),
				name: NODE,
				type: 'n8n-nodes-create-image.createImage',
				typeVersion: 1,
				position: [440, 0],
				parameters: {
					model: { __rl: true, mode: 'id', value: 'gpt-image-2' },
					prompt: '={{ $json.prompt }}',
					options: { quality: 'low', size: '={{ $json.size }}', ...nodeOptions },
					...parameters,
				},
				credentials: { openAiImagesApi: { id: credentialId, name: `Image server (${name})` } },
			},
		],
		connections: {
			Webhook: { main: [[{ node: 'One Item per Prompt', type: 'main', index: 0 }]] },
			'One Item per Prompt': { main: [[{ node: NODE, type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

const EDIT_NODE = 'Edit Image';

/** Appends Edit Image after Create Image: it edits the created file (binary field `data`) to 1024x1024. */
function addEditImage(workflow: Record<string, unknown>, credentialId: string, name: string): void {
	(workflow.nodes as Array<Record<string, unknown>>).push({
		id: randomUUID(),
		name: EDIT_NODE,
		type: 'n8n-nodes-create-image.editImage',
		typeVersion: 1,
		position: [660, 0],
		parameters: {
			model: { __rl: true, mode: 'id', value: 'gpt-image-2' },
			prompt: "={{ 'edit: ' + $('One Item per Prompt').item.json.prompt }}",
			images: 'data',
			options: { size: '1024x1024', quality: 'low' },
		},
		credentials: { openAiImagesApi: { id: credentialId, name: `Image server (${name})` } },
	});
	(workflow.connections as Record<string, unknown>)[NODE] = { main: [[{ node: EDIT_NODE, type: 'main', index: 0 }]] };
}

interface Call {
	call: number;
	items: Array<{ prompt: string; size: string }>;
}

function calls(scenario: string, count: number, itemsPerCall: number): Call[] {
	return Array.from({ length: count }, (_, call) => ({
		call,
		items: Array.from({ length: itemsPerCall }, (__, item) => ({
			prompt: `${scenario} call ${call} item ${item}: a lighthouse at dawn`,
			size: SIZES[(call + item) % SIZES.length],
		})),
	}));
}

/**
 * POSTs every call to the webhook at once; each must be accepted (n8n answers 200 at once).
 * Right after publishing, main answers 404 "The requested webhook ... is not registered" (or,
 * a moment later, "This webhook is not registered for POST requests. Did you mean to make a
 * POST request?") for a second or more (seen with 2.41.1, longer on a busy machine): such a
 * call started nothing and is sent again.
 */
async function trigger(cluster: QueueCluster, scenario: Scenario, all: Call[]): Promise<void> {
	const deadline = Date.now() + 60_000;
	const send = async (body: Call): Promise<void> => {
		for (;;) {
			const answer = await cluster.api.callWebhook(scenario.webhookPath, body);
			if (answer.status === 200) return;
			const notYet = answer.status === 404 && /is not registered/.test(answer.text);
			if (!notYet || Date.now() > deadline) throw new Error(`webhook call ${body.call}: ${answer.status} ${answer.text}`);
			await sleep(250);
		}
	};
	await Promise.all(all.map(send));
}

/** Waits until the workflow has `count` finished executions; returns them with their run data, by id. */
async function finishedExecutions(cluster: QueueCluster, workflowId: string, count: number, timeoutMs: number): Promise<PublicExecution[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const done = (await cluster.api.executions(workflowId)).filter((execution) => FINISHED.has(execution.status));
		if (done.length >= count) {
			const full = await Promise.all(done.map((execution) => cluster.api.execution(execution.id)));
			return full.sort((a, b) => Number(a.id) - Number(b.id));
		}
		if (Date.now() > deadline) throw new Error(`${done.length} of ${count} executions finished after ${timeoutMs / 1000} s`);
		await sleep(1000);
	}
}

function resultItems(execution: PublicExecution): PublicItem[] {
	const task = execution.data?.resultData.runData[NODE]?.[0];
	assert.ok(task, `execution ${execution.id}: ${NODE} did not run (${execution.data?.resultData.error?.message ?? 'no error'})`);
	return task.data?.main[0] ?? [];
}

/** Which worker ran each execution (from the workers' logs); asserts exactly one did. */
function workersOf(cluster: QueueCluster, executions: PublicExecution[]): Map<string, string> {
	const byExecution = new Map<string, string>();
	for (const execution of executions) {
		const ran = cluster.workers.filter((worker) => worker.executions.has(execution.id)).map((worker) => worker.name);
		assert.equal(ran.length, 1, `execution ${execution.id} was started by ${ran.length} workers (${ran.join(', ')})`);
		byExecution.set(execution.id, ran[0]);
	}
	return byExecution;
}

function describeWorkers(byExecution: Map<string, string>): string {
	return [...byExecution].map(([id, worker]) => `${id} ${worker}`).join(', ');
}

/**
 * Every result item's file: stored in the database (binary data mode `database`), readable
 * through n8n's API, a PNG of the size its prompt asked for. Checks that every prompt sent
 * came back exactly once, and returns how many images were read.
 */
async function checkImages(cluster: QueueCluster, executions: PublicExecution[], sent: Call[]): Promise<number> {
	const expected = new Map(sent.flatMap((call) => call.items.map((item) => [item.prompt, item.size] as const)));
	const seen = new Map<string, number>();
	let read = 0;
	for (const execution of executions) {
		for (const item of resultItems(execution)) {
			const prompt = String(item.json.prompt);
			seen.set(prompt, (seen.get(prompt) ?? 0) + 1);
			const size = expected.get(prompt);
			assert.ok(size, `execution ${execution.id}: an image for a prompt never sent: ${prompt}`);
			const file = item.binary?.data;
			assert.ok(file?.id, `execution ${execution.id}, "${prompt}": no stored binary file (${JSON.stringify(file)})`);
			assert.match(file.id, /^database:/, `execution ${execution.id}: binary data not in the database: ${file.id}`);
			const { bytes } = await cluster.api.binary(file.id);
			const [width, height] = size.split('x').map(Number);
			assert.deepEqual(pngSize(bytes), { width, height }, `execution ${execution.id}, "${prompt}" (${file.id})`);
			read++;
		}
	}
	const lost = [...expected.keys()].filter((prompt) => !seen.has(prompt));
	const doubled = [...seen].filter(([, count]) => count > 1).map(([prompt]) => prompt);
	assert.deepEqual(lost, [], `${lost.length} prompts without an image`);
	assert.deepEqual(doubled, [], `${doubled.length} prompts with more than one image`);
	return read;
}

function generations(server: ImageServer): RecordedRequest[] {
	return server.requests.filter((request) => request.kind === 'generation');
}

/**
 * 1. Eight webhook calls at once, ten items each: every execution succeeds, both workers ran
 * some (8 executions > one worker's concurrency of 5), every image is in the execution data,
 * stored in the database and readable through the API as a PNG of the requested size; each
 * prompt was sent to the provider once and came back once.
 */
export async function burst(cluster: QueueCluster, log: Log): Promise<void> {
	const scenario = await setUp(cluster, 'burst', { latencyMs: 1000 }, {});
	try {
		const sent = calls('burst', 8, 10);
		const started = Date.now();
		await trigger(cluster, scenario, sent);
		const executions = await finishedExecutions(cluster, scenario.workflowId, sent.length, 180_000);
		const wallMs = Date.now() - started;
		assert.equal(executions.length, sent.length, `${executions.length} executions for ${sent.length} webhook calls`);
		for (const execution of executions) {
			assert.equal(execution.status, 'success', `execution ${execution.id}: ${execution.status} ${execution.data?.resultData.error?.message ?? ''}`);
		}
		const byExecution = workersOf(cluster, executions);
		log(`  executions by worker: ${describeWorkers(byExecution)}`);
		for (const worker of cluster.workers) {
			assert.ok([...byExecution.values()].includes(worker.name), `${worker.name} ran none of the ${executions.length} executions`);
		}
		const images = await checkImages(cluster, executions, sent);
		const requests = generations(scenario.server);
		assert.equal(requests.length, 80, `the image server got ${requests.length} requests for 80 items`);
		log(`  ${images} images read back through the API (binary data mode database); 80 requests, 80 answered 200`);
		log(`  figure: 8 executions x 10 items on 2 workers (provider latency 1 s, node concurrency 5): ${(wallMs / 1000).toFixed(1)} s from the webhook calls to the last finished execution`);
	} finally {
		await scenario.server.close();
	}
}

/**
 * 2. One provider limit for both workers: 60 requests/min with 10 % 5xx, 4 executions of 30
 * items. No execution fails, no item is lost, and at least 90 % of the limit is used in the
 * steady state. The figure follows scripts/bench's definition: requests the provider admitted
 * (anything but 429: 5xx answers used the quota too) in each 60 s window [t, t + 60 s), t in
 * 1 s steps from the first request, for windows that end before the steady state does (when
 * fewer than 5 items, one execution's concurrency, are left unfinished in all executions).
 */
export async function sharedRateLimit(cluster: QueueCluster, log: Log): Promise<void> {
	const { perMinute, errorRate, executions: count, itemsPerExecution } = RATE_LIMIT;
	const scenario = await setUp(cluster, 'rate-limit', { latencyMs: 500, rateLimitPerMinute: perMinute, errorRate, seed: 11 }, { maxRetries: 10 });
	try {
		const sent = calls('rate-limit', count, itemsPerExecution);
		const total = count * itemsPerExecution;
		const started = Date.now();
		await trigger(cluster, scenario, sent);
		const executions = await finishedExecutions(cluster, scenario.workflowId, count, 8 * 60_000);
		const wallMs = Date.now() - started;
		const failed = executions.filter((execution) => execution.status !== 'success');
		log(`  executions by worker: ${describeWorkers(workersOf(cluster, executions))}`);

		const requests = generations(scenario.server).filter((request) => request.status !== undefined);
		const byStatus: Record<string, number> = {};
		for (const request of requests) byStatus[request.status!] = (byStatus[request.status!] ?? 0) + 1;
		const admitted = requests.filter((request) => request.status !== 429).map((request) => request.receivedAt);
		const t0 = Math.min(...requests.map((request) => request.receivedAt));
		const successEnds = requests
			.filter((request) => request.status === 200)
			.map((request) => request.endedAt!)
			.sort((a, b) => a - b);
		const drain = successEnds[Math.min(Math.max(total - 5, 0), successEnds.length - 1)] ?? t0;
		const windows: number[] = [];
		for (let t = t0; t + 60_000 <= drain; t += 1000) windows.push(admitted.filter((at) => at >= t && at < t + 60_000).length);
		const achieved = windows.length ? windows.reduce((a, b) => a + b, 0) / windows.length : undefined;
		const statuses = Object.entries(byStatus)
			.map(([status, n]) => `${n}x${status}`)
			.join(', ');
		log(
			`  figure: ${achieved === undefined ? 'n/a' : `${achieved.toFixed(1)}/min = ${((100 * achieved) / perMinute).toFixed(1)} %`} of ${perMinute}/min used in the steady state ` +
				`(${windows.length} windows of 60 s, lowest ${lowest(windows)}; steady state ${((drain - t0) / 1000).toFixed(0)} s of ${(wallMs / 1000).toFixed(0)} s); ` +
				`requests: ${statuses}`,
		);

		assert.deepEqual(
			failed.map((execution) => `${execution.id}: ${execution.status} ${execution.data?.resultData.error?.message ?? ''}`),
			[],
			'failed executions',
		);
		const images = await checkImages(cluster, executions, sent);
		assert.equal(images, total, `${images} images for ${total} items`);
		assert.ok(achieved !== undefined, `the steady state (${((drain - t0) / 1000).toFixed(0)} s) is shorter than one 60 s window`);
		assert.ok(achieved >= 0.9 * perMinute, `${achieved.toFixed(1)} requests/min used, under 90 % of ${perMinute}/min`);
	} finally {
		await scenario.server.close();
	}
}

/**
 * 3. Stop through the API while requests are in flight: the image server answers only after
 * 60 s, so the 5 requests in flight can end early only by being aborted. After the stop no
 * request may start, those in flight end without an answer, and the execution ends as
 * cancelled, and the error the user reads is the node's own ("The execution was cancelled").
 */
export async function stopInFlight(cluster: QueueCluster, log: Log): Promise<void> {
	const scenario = await setUp(cluster, 'stop', { latencyMs: 60_000 }, {});
	try {
		const sent = calls('stop', 1, 20);
		await trigger(cluster, scenario, sent);
		await waitFor(() => scenario.server.stats.inFlight >= 5, 60_000, 'five requests in flight');
		const [running] = await cluster.api.executions(scenario.workflowId, 'running');
		assert.ok(running, 'no running execution while its requests are in flight');
		const worker = cluster.workerOf(running.id)?.name ?? 'no worker';
		const stopAt = Date.now();
		const stopped = await cluster.api.stopExecution(running.id);
		log(`  execution ${running.id} (${worker}) stopped through POST /api/v1/executions/${running.id}/stop: answered ${stopped.status} in ${Date.now() - stopAt} ms`);
		await waitFor(() => scenario.server.stats.inFlight === 0, 30_000, 'the requests in flight to end (they would be answered after 60 s)');
		const endedAt = Date.now();
		// Time for a request the node might still start after its aborts (none may come).
		await sleep(3000);
		const requests = generations(scenario.server);
		const late = requests.filter((request) => request.receivedAt >= stopAt);
		const answered = requests.filter((request) => request.status !== undefined);
		log(`  ${requests.length} requests sent, all before the stop; in flight ended ${endedAt - stopAt} ms after it, unanswered (aborted by the worker)`);
		assert.deepEqual(late.map((request) => (request.body as { prompt?: string }).prompt), [], 'requests started after the stop');
		assert.deepEqual(answered.map((request) => request.status), [], 'requests that were answered instead of aborted');

		const [execution] = await finishedExecutions(cluster, scenario.workflowId, 1, 60_000);
		const nodeError = execution.data?.resultData.runData[NODE]?.[0]?.error?.message;
		log(`  execution status: ${execution.status}; its error: "${execution.data?.resultData.error?.message ?? ''}"; ${NODE}'s: "${nodeError ?? '(none recorded)'}"`);
		assert.equal(execution.status, 'canceled');
		// The node's own words (nodes/shared/transport/limiter.ts), not n8n's generic "This operation was aborted".
		assert.equal(execution.data?.resultData.error?.message, 'The execution was cancelled');
		if (nodeError !== undefined) assert.equal(nodeError, 'The execution was cancelled');
	} finally {
		await scenario.server.close();
	}
}

/** The colour of an image's centre pixel. */
async function centre(bytes: Buffer): Promise<number[]> {
	const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
	const at = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
	return [data[at], data[at + 1], data[at + 2]];
}

/**
 * 4. Create Image -> Edit Image on the workers, with binary data in the database: Edit Image
 * reads each created file from the database (n8n's binary helpers), sends it as multipart, and
 * its edited file is stored in the database too: a 1024x1024 PNG, the created image negated
 * (the image server's edit), paired with its item. Every edit request carried the created file.
 */
export async function createThenEdit(cluster: QueueCluster, log: Log): Promise<void> {
	const scenario = await setUp(cluster, 'edit', {}, {}, true);
	try {
		const sent = calls('edit', 2, 3);
		await trigger(cluster, scenario, sent);
		const executions = await finishedExecutions(cluster, scenario.workflowId, sent.length, 180_000);
		let read = 0;
		for (const execution of executions) {
			assert.equal(execution.status, 'success', `execution ${execution.id}: ${execution.status} ${execution.data?.resultData.error?.message ?? ''}`);
			const created = resultItems(execution);
			const edited = execution.data?.resultData.runData[EDIT_NODE]?.[0]?.data?.main[0] ?? [];
			assert.equal(edited.length, created.length, `execution ${execution.id}: ${edited.length} edited images for ${created.length} created`);
			for (const [index, item] of edited.entries()) {
				const file = item.binary?.data;
				assert.ok(file?.id, `execution ${execution.id}, item ${index}: no stored binary file (${JSON.stringify(file)})`);
				assert.match(file.id, /^database:/, `execution ${execution.id}: binary data not in the database: ${file.id}`);
				const { bytes } = await cluster.api.binary(file.id);
				assert.deepEqual(pngSize(bytes), { width: 1024, height: 1024 });
				const source = await centre((await cluster.api.binary(created[index].binary!.data.id!)).bytes);
				assert.deepEqual(await centre(bytes), source.map((channel) => 255 - channel), `execution ${execution.id}, item ${index}: not the created image, edited`);
				assert.equal(item.json.prompt, `edit: ${created[index].json.prompt}`);
				read++;
			}
		}
		const requests = scenario.server.requests.filter((request) => request.kind === 'edit');
		assert.equal(requests.length, 6, `the image server got ${requests.length} edit requests for 6 items`);
		for (const request of requests) {
			assert.match(request.headers['content-type'] ?? '', /^multipart\/form-data; boundary=/);
			assert.equal(request.files?.length, 1);
			assert.ok(request.files![0].size > 0 && request.files![0].contentType === 'image/png', JSON.stringify(request.files));
		}
		log(`  executions by worker: ${describeWorkers(workersOf(cluster, executions))}; ${read} edited images read back from the database`);
	} finally {
		await scenario.server.close();
	}
}

/**
 * 4b. Request Mode › Batch on a worker: one webhook call of 6 items; the worker uploads the
 * requests, creates one batch, polls it and reads its output file (the image server runs it on a
 * real-time clock with short phases, in a shuffled order): 6 images in input order, stored in the
 * database, no direct request.
 */
export async function batchOnWorker(cluster: QueueCluster, log: Log): Promise<void> {
	const timing = { validatingMs: 500, perLineMs: 100, finalizingMs: 500, cancellingMs: 500 };
	const scenario = await setUp(cluster, 'batch', { batchTiming: timing }, {}, false, { requestMode: 'batch' });
	try {
		const sent = calls('batch', 1, 6);
		const started = Date.now();
		await trigger(cluster, scenario, sent);
		const [execution] = await finishedExecutions(cluster, scenario.workflowId, 1, 180_000);
		assert.equal(execution.status, 'success', `execution ${execution.id}: ${execution.status} ${execution.data?.resultData.error?.message ?? ''}`);
		const items = resultItems(execution);
		const [batch] = scenario.server.batches;
		assert.ok(batch, 'a batch on the image server');
		assert.equal(batch.object.status, 'completed');
		assert.deepEqual(items.map((item) => [item.json.prompt, item.json.customId, item.json.batchId]), sent[0].items.map((item, i) => [item.prompt, `item-${i}-0`, batch.id]));
		for (const item of items) {
			const file = item.binary?.data;
			assert.ok(file?.id && /^database:/.test(file.id), `not stored in the database: ${JSON.stringify(file)}`);
			assert.equal(pngSize((await cluster.api.binary(file.id)).bytes).width > 0, true);
		}
		assert.equal(generations(scenario.server).filter((request) => request.origin === 'client').length, 0, 'no direct generation request');
		log(`  execution ${execution.id} on ${workersOf(cluster, [execution]).get(execution.id)}; batch ${batch.id} run in the order ${batch.order.join(', ')}; ${((Date.now() - started) / 1000).toFixed(1)} s from the webhook call`);
	} finally {
		await scenario.server.close();
	}
}

/**
 * 4c. A stop while Create Image waits for its batch (issue 17): the image server's batch clock
 * stands still, so the batch stays `validating` and the node keeps polling. The execution is
 * stopped through the API (as in 3); the worker cancels the batch (POST /v1/batches/{id}/cancel),
 * the execution ends cancelled, and no image comes out.
 */
export async function batchStopped(cluster: QueueCluster, log: Log): Promise<void> {
	const scenario = await setUp(cluster, 'batch-stop', { batchClock: 'manual' }, {}, false, { requestMode: 'batch' });
	try {
		await trigger(cluster, scenario, calls('batch-stop', 1, 3));
		await waitFor(() => scenario.server.batches.length > 0, 60_000, 'the batch on the image server');
		const [batch] = scenario.server.batches;
		const [running] = await cluster.api.executions(scenario.workflowId, 'running');
		assert.ok(running, 'no running execution while its batch waits');
		const stopAt = Date.now();
		const stopped = await cluster.api.stopExecution(running.id);
		const cancelPath = `/v1/batches/${batch.id}/cancel`;
		await waitFor(() => scenario.server.requests.some((request) => request.method === 'POST' && request.path === cancelPath), 30_000, `POST ${cancelPath}`);
		log(`  execution ${running.id} (${cluster.workerOf(running.id)?.name ?? 'no worker'}) stopped (answered ${stopped.status}); POST ${cancelPath} ${Date.now() - stopAt} ms after the stop; batch status ${batch.object.status}`);
		assert.ok(['cancelling', 'cancelled'].includes(batch.object.status), `batch status ${batch.object.status}`);

		const [execution] = await finishedExecutions(cluster, scenario.workflowId, 1, 60_000);
		// In queue mode n8n stored no error message for this stop (seen empty); the status is what the user reads.
		log(`  execution status: ${execution.status}; its error: "${execution.data?.resultData.error?.message ?? ''}"`);
		assert.equal(execution.status, 'canceled');
		assert.deepEqual(execution.data?.resultData.runData[NODE]?.[0]?.data?.main[0] ?? [], [], 'output items after the stop');
		assert.equal(generations(scenario.server).length, 0, 'image requests run after the stop');
	} finally {
		await scenario.server.close();
	}
}

/**
 * 5. A worker without the package (run last: it stops the workers that have it): the workers with it are stopped, one without it takes the
 * next webhook call. Reports what the user sees in the execution: n8n's "Unrecognized node type".
 */
export async function workerWithoutPackage(cluster: QueueCluster, log: Log): Promise<void> {
	const scenario = await setUp(cluster, 'no-package', {}, {});
	try {
		await Promise.all(cluster.workers.map((worker) => worker.stop()));
		const bare = await cluster.startWorker('worker-3 (without the package)');
		await trigger(cluster, scenario, calls('no-package', 1, 1));
		const [execution] = await finishedExecutions(cluster, scenario.workflowId, 1, 120_000);
		const message = execution.data?.resultData.error?.message ?? '';
		log(`  execution ${execution.id} on ${cluster.workerOf(execution.id)?.name ?? 'no worker'}: ${execution.status}, "${message}"`);
		assert.ok(bare.executions.has(execution.id), `the worker without the package did not run execution ${execution.id}`);
		assert.equal(execution.status, 'error');
		assert.match(message, /Unrecognized node type: n8n-nodes-create-image\.createImage/);
		assert.equal(generations(scenario.server).length, 0, 'requests reached the image server');
	} finally {
		await scenario.server.close();
	}
}

/** The lowest window count and where it starts (seconds after the first request). */
function lowest(windows: number[]): string {
	if (windows.length === 0) return '-';
	const min = Math.min(...windows);
	return `${min}, from +${windows.indexOf(min)} s`;
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
		await sleep(100);
	}
}

function sleep(ms: number): Promise<void> {
	return new Promise((wake) => setTimeout(wake, ms));
}
