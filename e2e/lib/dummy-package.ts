/**
 * A throwaway community package (`n8n-nodes-e2e-dummy`) written to a temporary folder, to prove
 * that the hosts load a packed community package at all, independent of this project's node.
 * Its node reads a credential, requires n8n-workflow (resolved to n8n's own copy), can fail on
 * purpose with a NodeOperationError, and attaches a small binary file to each item.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packPackage } from './n8n';

export const DUMMY_PACKAGE = 'n8n-nodes-e2e-dummy';
export const DUMMY_NODE_TYPE = `${DUMMY_PACKAGE}.e2eDummy`;
export const DUMMY_CREDENTIAL_TYPE = 'e2eDummyApi';

const NODE_SOURCE = `
const { NodeOperationError } = require('n8n-workflow');

class E2eDummy {
	constructor() {
		this.description = {
			displayName: 'E2E Dummy',
			name: 'e2eDummy',
			group: ['transform'],
			version: 1,
			description: 'Test node of the e2e harness',
			defaults: { name: 'E2E Dummy' },
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: 'e2eDummyApi', required: true }],
			properties: [
				{ displayName: 'Greeting', name: 'greeting', type: 'string', default: 'hello' },
				{ displayName: 'Fail', name: 'fail', type: 'boolean', default: false },
			],
		};
	}

	async execute() {
		const items = this.getInputData();
		const credentials = await this.getCredentials('e2eDummyApi');
		const output = [];
		for (let i = 0; i < items.length; i++) {
			if (this.getNodeParameter('fail', i)) {
				throw new NodeOperationError(this.getNode(), 'The dummy failed on purpose', { itemIndex: i });
			}
			const greeting = this.getNodeParameter('greeting', i);
			const file = await this.helpers.prepareBinaryData(Buffer.from(greeting + '\\n'), 'greeting.txt', 'text/plain');
			output.push({
				json: { ...items[i].json, greeting, token: credentials.token, node: process.version },
				binary: { data: file },
				pairedItem: { item: i },
			});
		}
		return [output];
	}
}

module.exports = { E2eDummy };
`;

const CREDENTIAL_SOURCE = `
class E2eDummyApi {
	constructor() {
		this.name = 'e2eDummyApi';
		this.displayName = 'E2E Dummy API';
		this.properties = [
			{ displayName: 'Token', name: 'token', type: 'string', typeOptions: { password: true }, default: '' },
		];
	}
}

module.exports = { E2eDummyApi };
`;

/** Writes the dummy package and packs it; returns the .tgz path. */
export async function packDummyPackage(destination: string): Promise<string> {
	const dir = mkdtempSync(join(tmpdir(), 'n8n-nodes-e2e-dummy-'));
	mkdirSync(join(dir, 'dist', 'nodes', 'E2eDummy'), { recursive: true });
	mkdirSync(join(dir, 'dist', 'credentials'), { recursive: true });
	writeFileSync(join(dir, 'dist', 'nodes', 'E2eDummy', 'E2eDummy.node.js'), NODE_SOURCE);
	writeFileSync(join(dir, 'dist', 'credentials', 'E2eDummyApi.credentials.js'), CREDENTIAL_SOURCE);
	writeFileSync(
		join(dir, 'package.json'),
		JSON.stringify(
			{
				name: DUMMY_PACKAGE,
				version: '0.0.1',
				keywords: ['n8n-community-node-package'],
				license: 'MIT',
				files: ['dist'],
				n8n: {
					n8nNodesApiVersion: 1,
					credentials: ['dist/credentials/E2eDummyApi.credentials.js'],
					nodes: ['dist/nodes/E2eDummy/E2eDummy.node.js'],
				},
				// Both are dropped on install, as n8n's installer does; nothing is fetched.
				peerDependencies: { 'n8n-workflow': '*' },
				devDependencies: { typescript: '*' },
			},
			null,
			2,
		),
	);
	return packPackage(dir, destination);
}
