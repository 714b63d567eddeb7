/**
 * Proves test/helpers/engine.ts: workflows run through n8n-core's WorkflowExecute with the
 * fixture package (test/helpers/fixtures/harness-package), loaded like a community package.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import type { INode } from 'n8n-workflow';

import {
	FIXTURE_TYPES,
	PACKAGE_DIR,
	binaryBuffer,
	chain,
	loadFixtureNodeTypes,
	loadPackageNodeTypes,
	runWorkflow,
	testCredential,
	type RunOptions,
} from './helpers/engine';
import { probeEvents } from './helpers/fixtures/harness-package/HarnessProbe.node';

const nodeTypes = loadFixtureNodeTypes();

const emit = (items: unknown[]): RunOptions['nodes'][number] => ({
	name: 'Emit',
	type: FIXTURE_TYPES.emitItems,
	parameters: { mode: 'json', items: JSON.stringify(items) },
});
const probe = (parameters: INode['parameters'], extra: Partial<INode> = {}): RunOptions['nodes'][number] => ({
	name: 'Probe',
	type: FIXTURE_TYPES.harnessProbe,
	parameters,
	...extra,
});
const run = async (opts: Omit<RunOptions, 'nodeTypes' | 'startNode' | 'connections'> & Partial<RunOptions>) =>
	await runWorkflow({ nodeTypes, startNode: 'Emit', connections: chain('Emit', 'Probe'), ...opts });

let server: Server;
let baseUrl: string;
const requests: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
	server = createServer((req, res) => {
		requests.push({ method: req.method, url: req.url, headers: req.headers });
		res.setHeader('content-type', 'application/json');
		if (req.url?.startsWith('/models')) {
			const ok = req.headers.authorization === 'Bearer good-key';
			res.statusCode = ok ? 200 : 401;
			res.statusMessage = ok ? 'OK' : 'Unauthorized';
			res.end(JSON.stringify(ok ? { data: [] } : { error: { message: 'bad key' } }));
			return;
		}
		res.end(JSON.stringify({ ok: true, path: req.url }));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => await new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
	requests.length = 0;
	probeEvents.length = 0;
});

describe('node types', () => {
	test('the fixture package loads through PackageDirectoryLoader under full and bare names', () => {
		expect(nodeTypes.getByNameAndVersion(FIXTURE_TYPES.harnessProbe).description.outputNames).toEqual([
			'Result',
			'Configuration',
		]);
		expect(nodeTypes.getByName('emitItems')).toBe(nodeTypes.getByName(FIXTURE_TYPES.emitItems));
		expect(nodeTypes.getSupportedNodes('harnessProbeApi')).toEqual([FIXTURE_TYPES.harnessProbe]);
	});

	const built = existsSync(join(PACKAGE_DIR, 'dist'));
	(built ? test : test.skip)('the built package loads with its dist/ files (skipped before a build)', () => {
		const types = loadPackageNodeTypes();
		expect(types.nodeTypeNames.some((name) => name.startsWith('n8n-nodes-create-image.'))).toBe(true);
		expect(types.nodeTypeNames).toContain(FIXTURE_TYPES.emitItems);
	});
});

describe('runWorkflow', () => {
	test('items in, two outputs with pairedItem', async () => {
		const res = await run({
			nodes: [emit([{ n: 1 }, { n: 2 }, { n: 3 }]), probe({ operation: 'echo' })],
		});
		expect(res.status).toBe('success');
		expect(res.executedNodes).toEqual(['Emit', 'Probe']);
		const [result, configuration] = res.outputs('Probe');
		expect(result.map((i) => i.json)).toEqual([
			{ n: 1, index: 0 },
			{ n: 2, index: 1 },
			{ n: 3, index: 2 },
		]);
		expect(result.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(configuration).toHaveLength(1);
		expect(configuration[0].json).toEqual({ operation: 'echo', itemCount: 3 });
		expect(configuration[0].pairedItem).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	test('input items go straight to the start node', async () => {
		const res = await runWorkflow({
			nodeTypes,
			nodes: [probe({ operation: 'echo' })],
			connections: {},
			startNode: 'Probe',
			input: [{ json: { a: 1 } }],
		});
		expect(res.outputs('Probe')[0].map((i) => i.json)).toEqual([{ a: 1, index: 0 }]);
	});

	test("a credential's generic auth (expressions resolved, defaults applied) reaches the server", async () => {
		const res = await run({
			nodes: [
				emit([{ path: 'one' }, { path: 'two' }]),
				probe(
					{ operation: 'request', url: `={{ "${baseUrl}/v1/" + $json.path }}` },
					{ credentials: { harnessProbeApi: { id: '1', name: 'Probe account' } } },
				),
			],
			credentials: { harnessProbeApi: { apiKey: '={{ "sk-" + "expr" }}', baseUrl } },
		});
		expect(res.status).toBe('success');
		expect(res.outputs('Probe')[0].map((i) => i.json)).toEqual([
			{ ok: true, path: '/v1/one?probe=yes' },
			{ ok: true, path: '/v1/two?probe=yes' },
		]);
		expect(requests).toHaveLength(2);
		expect(requests[0].headers.authorization).toBe('Bearer sk-expr');
		expect(requests[0].headers['x-org']).toBe('default-org');
		expect(res.credentialsHelper.decryptRequests[0]).toMatchObject({ type: 'harnessProbeApi', node: 'Probe' });
	});

	test('a missing credential fails the node like n8n does', async () => {
		const res = await run({
			nodes: [emit([{}]), probe({ operation: 'request', url: `${baseUrl}/x` })],
		});
		expect(res.status).toBe('error');
		expect(res.error?.message).toMatch(/credentials/i);
	});

	test.each(['default', 'filesystem'] as const)('binary data round-trip (%s mode)', async (binaryDataMode) => {
		const res = await run({
			binaryDataMode,
			nodes: [
				emit([
					{
						json: { name: 'a' },
						binary: { data: { data: Buffer.from('input bytes').toString('base64'), mimeType: 'text/plain', fileName: 'in.txt' } },
					},
				]),
				probe({ operation: 'binary', content: 'output bytes' }),
			],
		});
		expect(res.status).toBe('success');
		const input = res.outputs('Emit')[0][0];
		expect((await binaryBuffer(input)).toString()).toBe('input bytes');
		const [item] = res.outputs('Probe')[0];
		expect(item.json).toEqual({ inputText: 'input bytes', inputBytes: 11 });
		expect(item.binary?.data).toMatchObject({ mimeType: 'text/plain', fileName: 'out-0.txt', fileExtension: 'txt', bytes: 12 });
		expect((await binaryBuffer(item, 'data')).toString()).toBe('output bytes');
		if (binaryDataMode === 'default') expect(item.binary?.data.id).toBeUndefined();
		else expect(item.binary?.data.id).toMatch(/^filesystem-v2:/);
	});

	describe('errors and node settings', () => {
		const items = [{ n: 0 }, { n: 1, fail: true }, { n: 2 }];

		test('stopWorkflow (default): the execution fails with the node error', async () => {
			const res = await run({ nodes: [emit(items), probe({ operation: 'fail' })] });
			expect(res.status).toBe('error');
			expect(res.error?.message).toBe('Item 1 asked to fail');
			expect(res.nodeError('Probe')?.message).toBe('Item 1 asked to fail');
		});

		test('onError continueErrorOutput: failed items go to an extra output after Result and Configuration', async () => {
			const res = await run({
				nodes: [emit(items), probe({ operation: 'fail' }, { onError: 'continueErrorOutput' })],
			});
			expect(res.status).toBe('success');
			const outputs = res.outputs('Probe');
			expect(outputs).toHaveLength(3);
			expect(outputs[0].map((i) => i.json)).toEqual([{ ok: 0 }, { ok: 2 }]);
			expect(outputs[1]).toHaveLength(1);
			expect(outputs[2]).toHaveLength(1);
			// n8n merges the paired input item's json into the error item
			expect(outputs[2][0].json).toEqual({ n: 1, fail: true, error: 'Item 1 asked to fail' });
		});

		test.each([
			['onError continueRegularOutput', { onError: 'continueRegularOutput' }],
			['continueOnFail', { continueOnFail: true }],
		] as const)('%s: failed items stay in the regular output', async (_label, setting) => {
			const res = await run({ nodes: [emit(items), probe({ operation: 'fail' }, setting)] });
			expect(res.status).toBe('success');
			const outputs = res.outputs('Probe');
			expect(outputs).toHaveLength(2);
			expect(outputs[0].map((i) => i.json)).toEqual([{ ok: 0 }, { error: 'Item 1 asked to fail' }, { ok: 2 }]);
		});
	});

	test("cancelling fires the node's execution cancel signal", async () => {
		const controller = new AbortController();
		const promise = run({
			nodes: [emit([{}]), probe({ operation: 'waitForCancel', giveUpAfter: 5000 })],
			signal: controller.signal,
		});
		while (!probeEvents.some((e) => e.type === 'waiting')) await new Promise((r) => setTimeout(r, 5));
		controller.abort();
		const res = await promise;
		expect(res.status).toBe('canceled');
		expect(probeEvents.map((e) => e.type)).toEqual(['waiting', 'onExecutionCancellation', 'aborted']);
		expect(probeEvents[0].detail).toEqual({ hasSignal: true });
		expect(res.settledAfterCancelMs).toBeLessThan(1000);
		expect(res.error?.message).toMatch(/cancel/i);
	});
});

describe('testCredential', () => {
	test('OK when the test request succeeds with the authenticated request', async () => {
		const result = await testCredential('harnessProbeApi', { apiKey: 'good-key', baseUrl }, { nodeTypes });
		expect(result).toEqual({ status: 'OK', message: 'Connection successful!' });
		expect(requests[0]).toMatchObject({ method: 'GET', url: '/models?probe=yes' });
		expect(requests[0].headers['x-org']).toBe('default-org');
	});

	test('Error with the status text when the server refuses', async () => {
		const result = await testCredential('harnessProbeApi', { apiKey: 'bad-key', baseUrl }, { nodeTypes });
		expect(result).toEqual({ status: 'Error', message: 'Unauthorized' });
	});

	test('Error with the network code when nothing listens', async () => {
		const result = await testCredential('harnessProbeApi', { apiKey: 'good-key', baseUrl: 'http://127.0.0.1:9' }, { nodeTypes });
		expect(result.status).toBe('Error');
		expect(result.message).toBe('ECONNREFUSED');
	});
});
