/**
 * Run workflows through n8n's real engine (n8n-core WorkflowExecute) inside jest.
 *
 *   const res = await runWorkflow({ nodes, connections, startNode: 'Emit', input: [{ json: {} }],
 *                                   credentials: { openAiImagesApi: { apiKey: 'k', url: base } } });
 *   expect(res.status).toBe('success');
 *   const [result, configuration] = res.outputs('Create Image');
 *
 * Node types come from the BUILT package (package.json "n8n" -> dist/), loaded with n8n-core's
 * PackageDirectoryLoader, plus the test fixtures (see ./node-types.ts).
 *
 * Known jest limit: n8n-core's prepareBinaryData(buffer) WITHOUT a mime type (and without a file
 * name with an extension) sniffs the type with `await import('file-type')` (ESM); under jest that
 * fails with "A dynamic import callback was invoked without --experimental-vm-modules" unless jest
 * runs with NODE_OPTIONS=--experimental-vm-modules. Real n8n is not affected.
 */
import { randomUUID } from 'node:crypto';

import { CredentialTestContext, ExecuteContext, ExecutionLifecycleHooks, LoadOptionsContext, RoutingNode, WorkflowExecute } from 'n8n-core';
import type {
	ExecutionError,
	ExecutionStatus,
	ICredentialDataDecryptedObject,
	ICredentialTestFunction,
	ICredentialTestRequestData,
	ICredentialsDecrypted,
	IConnections,
	IDataObject,
	IExecuteData,
	INode,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeListSearchResult,
	INodeType,
	IPinData,
	IRun,
	ITaskData,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	IWorkflowSettings,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { createRunExecutionData, VersionedNodeType, Workflow } from 'n8n-workflow';

import { setBinaryDataMode, type BinaryDataMode } from './binary';
import { HarnessCredentialsHelper } from './credentials-helper';
import { type HarnessTypes, loadPackageNodeTypes } from './node-types';

export { binaryBuffer, setBinaryDataMode, type BinaryDataMode } from './binary';
export { HarnessCredentialsHelper } from './credentials-helper';
export {
	FIXTURE_PACKAGE_DIR,
	HarnessTypes,
	PACKAGE_DIR,
	loadFixtureNodeTypes,
	loadPackageNodeTypes,
	type LoadTypesOptions,
} from './node-types';

/** Full node type names of this package and of the fixtures. */
export const PACKAGE_NAME = 'n8n-nodes-create-image';
export const FIXTURE_TYPES = {
	emitItems: 'n8n-nodes-harness-fixture.emitItems',
	harnessProbe: 'n8n-nodes-harness-fixture.harnessProbe',
} as const;

export interface RunOptions {
	/** Workflow nodes as saved in workflow JSON (`id`, `position`, `typeVersion` are filled in if missing). */
	nodes: Array<Omit<INode, 'id' | 'position' | 'typeVersion'> & Partial<Pick<INode, 'id' | 'position' | 'typeVersion'>>>;
	connections: IConnections;
	/** The node to start from; it receives `input` on main input 0, as if a previous node had emitted it. */
	startNode: string;
	/** Items fed to `startNode`. Default: one empty item. */
	input?: INodeExecutionData[];
	/** What the credentials store holds, by credential type (any id/name on the node resolves to it). */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** Abort to cancel the execution like n8n's "stop" (PCancelable.cancel() -> node cancel signal). */
	signal?: AbortSignal;
	/** After `signal` aborts, fail if the engine has not returned within this many ms. Default 10000. */
	cancelTimeoutMs?: number;
	/** Default: loadPackageNodeTypes() (built package + fixtures), loaded once per test file. */
	nodeTypes?: HarnessTypes;
	/** Default `{ executionOrder: 'v1' }` (what n8n gives new workflows). */
	settings?: IWorkflowSettings;
	/** Execution mode. Default 'manual'. */
	mode?: WorkflowExecuteMode;
	/** n8n-core binary data mode for this run: 'default' (in memory, the default here) or 'filesystem' (n8n 2.x's own default). */
	binaryDataMode?: BinaryDataMode;
	pinData?: IPinData;
	staticData?: IDataObject;
}

export interface RunResult {
	status: ExecutionStatus;
	/** run.data.resultData.error: set when the workflow stopped on an error (or was cancelled). */
	error?: ExecutionError;
	run: IRun;
	executionId: string;
	/** Main outputs of a node's run, all indexes (e.g. [Result, Configuration, Error]); empty arrays for outputs without items. */
	outputs(nodeName: string, runIndex?: number): INodeExecutionData[][];
	/** The task data of a node's run (error, hints, executionStatus...). */
	task(nodeName: string, runIndex?: number): ITaskData;
	/** Error of a node's run, if it failed. */
	nodeError(nodeName: string, runIndex?: number): ExecutionError | undefined;
	/** Node names in the order they finished (nodeExecuteAfter hook). */
	executedNodes: string[];
	/** Credentials helper of this run: `decryptRequests` and `updates` tell what the node asked for. */
	credentialsHelper: HarnessCredentialsHelper;
	durationMs: number;
	/** When cancelled: ms from abort to the engine returning. */
	settledAfterCancelMs?: number;
}

let defaultTypes: HarnessTypes | undefined;
function getDefaultTypes(): HarnessTypes {
	defaultTypes ??= loadPackageNodeTypes();
	return defaultTypes;
}

let executionCounter = 0;

const BASE_URL = 'http://127.0.0.1:5678';

/** The `additionalData` n8n's CLI builds for an execution (WorkflowExecuteAdditionalData.getBase), minus DB/runners. */
export function createAdditionalData(options: {
	hooks: ExecutionLifecycleHooks;
	executionId: string;
	workflowId: string;
	credentialsHelper: HarnessCredentialsHelper;
}): IWorkflowExecuteAdditionalData {
	const notAvailable = (what: string) => async () => {
		throw new Error(`${what} is not available in the in-process test harness`);
	};
	return {
		hooks: options.hooks,
		executionId: options.executionId,
		workflowId: options.workflowId,
		credentialsHelper: options.credentialsHelper,
		variables: {},
		currentNodeParameters: undefined,
		currentNodeExecutionIndex: 0,
		restApiUrl: `${BASE_URL}/rest`,
		instanceBaseUrl: `${BASE_URL}/`,
		formBaseUrl: `${BASE_URL}/form`,
		formWaitingBaseUrl: `${BASE_URL}/form-waiting`,
		formTestBaseUrl: `${BASE_URL}/form-test`,
		webhookBaseUrl: `${BASE_URL}/webhook`,
		webhookWaitingBaseUrl: `${BASE_URL}/webhook-waiting`,
		webhookTestBaseUrl: `${BASE_URL}/webhook-test`,
		mcpBaseUrl: `${BASE_URL}/mcp`,
		mcpTestBaseUrl: `${BASE_URL}/mcp-test`,
		executeWorkflow: notAvailable('executeWorkflow'),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		logAiEvent: () => {},
		startRunnerTask: notAvailable('startRunnerTask'),
	} as unknown as IWorkflowExecuteAdditionalData;
}

function normalizeNodes(nodes: RunOptions['nodes']): INode[] {
	return nodes.map((node, index) => ({
		...node,
		id: node.id ?? randomUUID(),
		position: node.position ?? [index * 220, 0],
		typeVersion: node.typeVersion ?? 1,
		parameters: node.parameters ?? {},
	}));
}

/** Run a workflow from `startNode` through n8n-core's WorkflowExecute.processRunExecutionData. */
export async function runWorkflow(opts: RunOptions): Promise<RunResult> {
	const nodeTypes = opts.nodeTypes ?? getDefaultTypes();
	await setBinaryDataMode(opts.binaryDataMode ?? 'default');

	const mode = opts.mode ?? 'manual';
	const executionId = String(++executionCounter);
	const workflowId = 'harness-workflow';
	const nodes = normalizeNodes(opts.nodes);
	const settings: IWorkflowSettings = { executionOrder: 'v1', ...opts.settings };
	const workflowData: IWorkflowBase = {
		id: workflowId,
		name: 'Harness workflow',
		active: false,
		isArchived: false,
		nodes,
		connections: opts.connections,
		settings,
		createdAt: new Date(),
		updatedAt: new Date(),
		activeVersionId: null,
	};
	const workflow = new Workflow({
		id: workflowId,
		name: workflowData.name,
		nodes,
		connections: opts.connections,
		active: false,
		nodeTypes,
		settings,
		staticData: opts.staticData,
		pinData: opts.pinData,
	});
	const startNode = workflow.getNode(opts.startNode);
	if (!startNode) {
		throw new Error(`Start node "${opts.startNode}" is not in the workflow (${nodes.map((n) => n.name).join(', ')})`);
	}

	const executedNodes: string[] = [];
	const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowData);
	hooks.addHandler('nodeExecuteAfter', (nodeName) => {
		executedNodes.push(nodeName);
	});

	const credentialsHelper = new HarnessCredentialsHelper(nodeTypes, { ...opts.credentials });
	const additionalData = createAdditionalData({ hooks, executionId, workflowId, credentialsHelper });

	const runExecutionData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [{ node: startNode, data: { main: [opts.input ?? [{ json: {} }]] }, source: null }],
		},
		resultData: { pinData: opts.pinData },
	});

	const started = Date.now();
	const workflowExecute = new WorkflowExecute(additionalData, mode, runExecutionData);
	const execution = workflowExecute.processRunExecutionData(workflow);

	let abortedAt: number | undefined;
	let cancelTimer: NodeJS.Timeout | undefined;
	let onAbort: (() => void) | undefined;
	const cancelTimeout = new Promise<never>((_resolve, reject) => {
		onAbort = () => {
			abortedAt = Date.now();
			execution.cancel();
			const ms = opts.cancelTimeoutMs ?? 10_000;
			cancelTimer = setTimeout(
				() => reject(new Error(`Execution did not return within ${ms} ms after it was cancelled`)),
				ms,
			);
		};
	});
	cancelTimeout.catch(() => {});
	if (opts.signal && onAbort) {
		if (opts.signal.aborted) onAbort();
		else opts.signal.addEventListener('abort', onAbort, { once: true });
	}

	let run: IRun;
	try {
		run = await Promise.race([execution, cancelTimeout]);
	} finally {
		if (cancelTimer) clearTimeout(cancelTimer);
		if (opts.signal && onAbort) opts.signal.removeEventListener('abort', onAbort);
	}
	const finished = Date.now();

	const { runData } = run.data.resultData;
	const task = (nodeName: string, runIndex = 0): ITaskData => {
		const tasks = runData[nodeName];
		if (!tasks?.[runIndex]) {
			const ran = Object.keys(runData).join(', ') || 'none';
			const error = run.data.resultData.error?.message;
			throw new Error(
				`Node "${nodeName}" has no run ${runIndex} (nodes that ran: ${ran}; status ${run.status}${error ? `; error: ${error}` : ''})`,
			);
		}
		return tasks[runIndex];
	};

	return {
		status: run.status,
		error: run.data.resultData.error,
		run,
		executionId,
		outputs: (nodeName, runIndex = 0) => (task(nodeName, runIndex).data?.main ?? []).map((items) => items ?? []),
		task,
		nodeError: (nodeName, runIndex = 0) => task(nodeName, runIndex).error,
		executedNodes,
		credentialsHelper,
		durationMs: finished - started,
		settledAfterCancelMs: abortedAt === undefined ? undefined : finished - abortedAt,
	};
}

/** Connect nodes in a line through main output 0 -> main input 0: chain('A', 'B', 'C'). */
export function chain(...names: string[]): IConnections {
	const connections: IConnections = {};
	for (let i = 0; i < names.length - 1; i++) {
		connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	}
	return connections;
}

/** Test a credential the way n8n's CredentialsTester does (credentials-tester.service.ts). */
export async function testCredential(
	type: string,
	data: ICredentialDataDecryptedObject,
	options: { nodeTypes?: HarnessTypes } = {},
): Promise<INodeCredentialTestResult> {
	const nodeTypes = options.nodeTypes ?? getDefaultTypes();
	const credentialsHelper = new HarnessCredentialsHelper(nodeTypes, { [type]: data });
	const executionId = `credential-test-${++executionCounter}`;
	const hooks = new ExecutionLifecycleHooks('internal', executionId, {
		id: 'credential-test',
		name: 'credential test',
		active: false,
		isArchived: false,
		nodes: [],
		connections: {},
		createdAt: new Date(),
		updatedAt: new Date(),
		activeVersionId: null,
	});
	const additionalData = createAdditionalData({ hooks, executionId, workflowId: 'credential-test', credentialsHelper });

	const testFunction = getCredentialTestFunction(nodeTypes, type);
	if (testFunction === undefined) {
		return { status: 'Error', message: 'No testing function found for this credential.' };
	}

	const credentialsDecrypted: ICredentialsDecrypted = { id: 'credential-test', name: 'Test credential', type, data };
	try {
		credentialsDecrypted.data = await credentialsHelper.applyDefaultsAndOverwrites(
			additionalData,
			data,
			type,
			'internal',
		);
	} catch (error) {
		return { status: 'Error', message: String((error as Error).message) };
	}

	if (typeof testFunction === 'function') {
		return await testFunction.call(new CredentialTestContext(), credentialsDecrypted);
	}

	const nodeType: INodeType = testFunction.nodeType ?? nodeTypes.getByNameAndVersion('n8n-nodes-base.noOp');
	const node: INode = {
		id: 'temp',
		parameters: {},
		name: 'Temp-Node',
		type: nodeType.description.name,
		typeVersion: Array.isArray(nodeType.description.version)
			? nodeType.description.version.slice(-1)[0]
			: nodeType.description.version,
		position: [0, 0],
		credentials: { [type]: { id: credentialsDecrypted.id, name: credentialsDecrypted.name } },
	};
	const nodeTypeCopy: INodeType = {
		description: {
			...nodeType.description,
			credentials: [{ name: type, required: true }],
			properties: [
				{
					displayName: 'Temp',
					name: 'temp',
					type: 'string',
					routing: { request: testFunction.testRequest.request },
					default: '',
				},
			],
		},
	};
	const tempTypes = {
		getByName: () => nodeTypeCopy,
		getByNameAndVersion: () => nodeTypeCopy,
		getKnownTypes: () => ({}),
	};
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes: tempTypes });
	const executeData: IExecuteData = { node, data: {}, source: null };
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'internal',
		createRunExecutionData({ executionData: null }),
		0,
		[],
		{ main: [[{ json: {} }]] },
		executeData,
		[],
	);
	const routingNode = new RoutingNode(context, nodeTypeCopy, credentialsDecrypted);

	let response: INodeExecutionData[][] | null | undefined;
	try {
		response = await routingNode.runNode();
	} catch (error) {
		const cause = (error as { cause?: { response?: { status: number; statusText?: string }; code?: string } }).cause;
		if (cause?.response) {
			const statusCode = cause.response.status;
			const statusMessage = cause.response.statusText;
			for (const rule of testFunction.testRequest.rules ?? []) {
				if (rule.type === 'responseCode' && statusCode === rule.properties.value) {
					return { status: 'Error', message: rule.properties.message };
				}
			}
			if (statusCode < 199 || statusCode > 299) {
				return { status: 'Error', message: statusMessage || `Received HTTP status code: ${statusCode}` };
			}
		} else if (cause?.code) {
			return { status: 'Error', message: cause.code };
		}
		return { status: 'Error', message: String((error as Error).message) };
	}

	for (const rule of testFunction.testRequest.rules ?? []) {
		if (rule.type === 'responseSuccessBody') {
			const responseData = response![0][0].json;
			if (getPath(responseData, rule.properties.key) === rule.properties.value) {
				return { status: 'Error', message: rule.properties.message };
			}
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}

/** CredentialsTester.getCredentialTestFunction: the credential's own `test`, else a node's `testedBy`. */
function getCredentialTestFunction(
	nodeTypes: HarnessTypes,
	credentialType: string,
): ICredentialTestFunction | ICredentialTestRequestData | undefined {
	const type = nodeTypes.getCredentialType(credentialType);
	if (type.test) return { testRequest: type.test };
	for (const [name] of nodeTypes.entries()) {
		if (!nodeTypes.getSupportedNodes(credentialType).includes(name)) continue;
		const node = nodeTypes.getByName(name);
		const versions: INodeType[] =
			node instanceof VersionedNodeType ? Object.values(node.nodeVersions) : [node as INodeType];
		for (const nodeType of versions) {
			for (const { name: credName, testedBy } of nodeType.description.credentials ?? []) {
				if (credName !== credentialType || !testedBy) continue;
				if (typeof testedBy === 'string') {
					const fn = nodeType.methods?.credentialTest?.[testedBy];
					if (fn) return fn;
					continue;
				}
				return { nodeType, testRequest: testedBy };
			}
		}
	}
	return undefined;
}

function getPath(value: unknown, path: string): unknown {
	return path
		.split('.')
		.reduce<unknown>((acc, key) => (acc !== null && typeof acc === 'object' ? (acc as IDataObject)[key] : undefined), value);
}

/**
 * Calls a node's list-search method (a resource locator's "From List" mode) the way n8n's
 * editor does: through n8n-core's LoadOptionsContext, with the node's parameters and credentials.
 */
export async function runListSearch(opts: {
	node: RunOptions['nodes'][number];
	method: string;
	filter?: string;
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	nodeTypes?: HarnessTypes;
}): Promise<INodeListSearchResult> {
	const nodeTypes = opts.nodeTypes ?? getDefaultTypes();
	const [node] = normalizeNodes([opts.node]);
	const workflowData: IWorkflowBase = {
		id: 'list-search',
		name: 'list search',
		active: false,
		isArchived: false,
		nodes: [node],
		connections: {},
		createdAt: new Date(),
		updatedAt: new Date(),
		activeVersionId: null,
	};
	const workflow = new Workflow({ id: workflowData.id, nodes: [node], connections: {}, active: false, nodeTypes });
	const credentialsHelper = new HarnessCredentialsHelper(nodeTypes, { ...opts.credentials });
	const executionId = `list-search-${++executionCounter}`;
	const hooks = new ExecutionLifecycleHooks('internal', executionId, workflowData);
	const additionalData = createAdditionalData({ hooks, executionId, workflowId: workflowData.id!, credentialsHelper });
	const context = new LoadOptionsContext(workflow, node, additionalData, 'parameters');
	const type = nodeTypes.getByNameAndVersion(node.type, node.typeVersion) as INodeType;
	const method = type.methods?.listSearch?.[opts.method];
	if (!method) throw new Error(`${node.type} has no list-search method ${opts.method}`);
	return await method.call(context, opts.filter);
}
