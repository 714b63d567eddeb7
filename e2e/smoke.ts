/**
 * Smoke check of the e2e harness: `npx tsx e2e/smoke.ts [n8n-2] [n8n-1]`.
 * Installs the hosts (cached after the first run), then on each: installs a throwaway
 * community package the way n8n's installer does, imports a credential and two workflows
 * (Manual Trigger -> Set -> Code -> dummy node), runs them with `n8n execute` and checks
 * the run data, including the failing run's exit code.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DUMMY_CREDENTIAL_TYPE, DUMMY_NODE_TYPE, packDummyPackage } from './lib/dummy-package';
import { ensureHost, HOST_NAMES, type HostInfo, type HostName } from './lib/hosts';
import { N8nInstance, nodeOutput } from './lib/n8n';

const CREDENTIAL = { id: 'e2eDummyCred0001', name: 'E2E dummy', type: DUMMY_CREDENTIAL_TYPE, data: { token: 's3cret' } };

function workflow(id: string, fail: boolean) {
	return {
		id,
		name: `smoke ${fail ? 'failing' : 'passing'}`,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{ id: 'n1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'n2',
				name: 'Set',
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				position: [200, 0],
				parameters: {
					assignments: {
						assignments: [
							{ id: 'a1', name: 'sum', value: '={{ 1 + 2 }}', type: 'number' },
							{ id: 'a2', name: 'word', value: 'smoke', type: 'string' },
						],
					},
					options: {},
				},
			},
			{
				id: 'n3',
				name: 'Code',
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: [400, 0],
				parameters: { jsCode: 'return $input.all().map((item) => ({ json: { ...item.json, doubled: item.json.sum * 2 } }));' },
			},
			{
				id: 'n4',
				name: 'Dummy',
				type: DUMMY_NODE_TYPE,
				typeVersion: 1,
				position: [600, 0],
				parameters: { greeting: '={{ "hi " + $json.word }}', fail },
				credentials: { [DUMMY_CREDENTIAL_TYPE]: { id: CREDENTIAL.id, name: CREDENTIAL.name } },
			},
		],
		connections: {
			Start: { main: [[{ node: 'Set', type: 'main', index: 0 }]] },
			Set: { main: [[{ node: 'Code', type: 'main', index: 0 }]] },
			Code: { main: [[{ node: 'Dummy', type: 'main', index: 0 }]] },
		},
	};
}

async function smoke(host: HostInfo, tgz: string): Promise<void> {
	const say = (line: string) => console.log(`[${host.name}] ${line}`);
	const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
		const started = Date.now();
		const result = await fn();
		say(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
		return result;
	};

	const instance = await N8nInstance.create(host);
	try {
		const installed = await timed('install dummy package', () => instance.installPackage(tgz));
		say(`package in ${installed.dir}`);
		await timed('import credentials', () => instance.importCredentials([CREDENTIAL]));
		const [passingId, failingId] = await timed('import workflows', () =>
			instance.importWorkflows([workflow('smokePassing0001', false), workflow('smokeFailing0001', true)]),
		);

		const passing = await timed('execute passing workflow', () => instance.execute(passingId));
		if (passing.exitCode !== 0 || !passing.run) {
			throw new Error(`passing run failed (exit ${passing.exitCode}):\n${passing.stdout}\n${passing.stderr}`);
		}
		const [item] = nodeOutput(passing.run, 'Dummy');
		say(`run data keys: ${Object.keys(passing.run).join(', ')}`);
		say(`Dummy output: ${JSON.stringify(item.json)}; binary: ${JSON.stringify(item.binary)}`);
		assert.deepEqual(nodeOutput(passing.run, 'Set')[0].json, { sum: 3, word: 'smoke' });
		assert.equal(nodeOutput(passing.run, 'Code')[0].json.doubled, 6);
		assert.equal(item.json.greeting, 'hi smoke');
		assert.equal(item.json.token, 's3cret');
		assert.equal(item.binary?.data.fileName, 'greeting.txt');
		assert.equal(instance.readBinary(item.binary.data).toString(), 'hi smoke\n');
		assert.equal(passing.run.status ?? 'success', 'success');

		const failing = await timed('execute failing workflow', () => instance.execute(failingId));
		assert.equal(failing.exitCode, 1, `failing run: exit ${failing.exitCode}`);
		assert.ok(failing.run, `failing run printed no run data:\n${failing.stdout}`);
		assert.equal(failing.run.data.resultData.error?.message, 'The dummy failed on purpose');
		say(`failing run: exit ${failing.exitCode}, status ${failing.run.status}, error "${failing.run.data.resultData.error?.message}"`);
		say('OK');
	} finally {
		instance.dispose();
	}
}

async function main() {
	const requested = process.argv.slice(2) as HostName[];
	const names = requested.length > 0 ? requested : [...HOST_NAMES];
	const started = Date.now();
	const hosts = await Promise.all(
		names.map(async (name) => {
			const hostStarted = Date.now();
			const host = await ensureHost(name);
			const how = host.installed ? 'installed' : 'found in cache';
			console.log(`[${name}] n8n ${host.n8nVersion} ${how} in ${((Date.now() - hostStarted) / 1000).toFixed(1)} s`);
			return host;
		}),
	);
	const packDir = mkdtempSync(join(tmpdir(), 'n8n-e2e-pack-'));
	try {
		const tgz = await packDummyPackage(packDir);
		await Promise.all(hosts.map((host) => smoke(host, tgz)));
	} finally {
		rmSync(packDir, { recursive: true, force: true });
	}
	console.log(`smoke passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error) => {
	console.error(error instanceof Error ? (error.stack ?? error.message) : error);
	process.exit(1);
});
