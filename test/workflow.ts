/** Builds Create Image workflows for the tests: a data-prep node in front, the node, its settings. */
import type { IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import type { ImageServer } from './server';
import { chain, FIXTURE_TYPES, runWorkflow, type RunOptions, type RunResult } from './helpers/engine';
import { imageDimensions as headerDimensions } from '../nodes/shared/dimensions';
import type { ItemErrorDetails } from '../nodes/shared/errorItem';

export const NODE_TYPE = 'n8n-nodes-create-image.createImage';
export const NODE = 'Create Image';

export interface CreateImageSettings {
	model?: string | IDataObject;
	prompt?: string;
	resultFormat?: 'images' | 'rawResponse';
	options?: IDataObject;
	authentication?: 'openAiImagesApi' | 'azureOpenAiImagesApi';
	onError?: INode['onError'];
	/** Further top-level parameters, e.g. { requestMode: 'batch', batchWait: false }. */
	parameters?: IDataObject;
}

export function createImageNode(settings: CreateImageSettings = {}): RunOptions['nodes'][number] {
	const model = settings.model ?? 'gpt-image-2';
	return {
		name: NODE,
		type: NODE_TYPE,
		parameters: {
			authentication: settings.authentication ?? 'openAiImagesApi',
			model: (typeof model === 'string' ? { __rl: true, mode: 'id', value: model } : model) as INodeParameters,
			prompt: settings.prompt ?? '={{ $json.prompt }}',
			resultFormat: settings.resultFormat ?? 'images',
			options: (settings.options ?? {}) as INodeParameters,
			...((settings.parameters ?? {}) as INodeParameters),
		},
		credentials: {
			openAiImagesApi: { id: '1', name: 'Image server' },
			azureOpenAiImagesApi: { id: '2', name: 'Azure image server' },
		},
		...(settings.onError ? { onError: settings.onError } : {}),
	};
}

export function openAiCredentials(server: ImageServer, overrides: IDataObject = {}) {
	return { openAiImagesApi: { apiKey: server.apiKey, baseUrl: server.baseUrl, organizationId: '', projectId: '', ...overrides } };
}

type NodeRun = RunResult & { result: INodeExecutionData[]; configuration: INodeExecutionData[]; errors: INodeExecutionData[] };

/** Runs [Prepare (emits `items`: json, or `{ json, binary }`) -> `node`] through n8n's engine; its outputs by name. */
async function runAfterPrepare(server: ImageServer, items: unknown[], node: RunOptions['nodes'][number], extra: Partial<RunOptions>): Promise<NodeRun> {
	const run = await runWorkflow({
		nodes: [{ name: 'Prepare', type: FIXTURE_TYPES.emitItems, parameters: { items: JSON.stringify(items) } }, node],
		connections: chain('Prepare', node.name),
		startNode: 'Prepare',
		credentials: openAiCredentials(server),
		...extra,
	});
	const ran = run.executedNodes.includes(node.name);
	const [result = [], configuration = [], errors = []] = ran ? run.outputs(node.name) : [];
	return Object.assign(run, { result, configuration, errors });
}

/** Runs [Prepare (emits `rows`) -> Create Image] through n8n's engine. */
export async function runCreateImage(
	server: ImageServer,
	rows: IDataObject[],
	settings: CreateImageSettings = {},
	extra: Partial<RunOptions> = {},
): Promise<NodeRun> {
	return await runAfterPrepare(server, rows.map((json) => ({ json })), createImageNode(settings), extra);
}

/** Generation requests the server received (file downloads and model lists left out). */
export const generations = (server: ImageServer) => server.requests.filter((r) => r.kind === 'generation');

/**
 * Width and height from a PNG, JPEG, WEBP or GIF file's header: the node's own reader
 * (nodes/shared/dimensions.ts, checked against files of known size in tool-mode.test.ts).
 * Throws for other bytes.
 */
export function imageDimensions(data: Buffer): { width: number; height: number } {
	const found = headerDimensions(data);
	if (!found) throw new Error(`Not a PNG, JPEG, WEBP or GIF file (starts with ${data.subarray(0, 12).toString('hex')})`);
	return found;
}

export const EDIT_NODE_TYPE = 'n8n-nodes-create-image.editImage';
export const EDIT_NODE = 'Edit Image';

export interface EditImageSettings extends CreateImageSettings {
	/** The binary fields holding the images (default "data"). */
	images?: string;
}

/** An Edit Image node with the same defaults as createImageNode. */
export function editImageNode(settings: EditImageSettings = {}): RunOptions['nodes'][number] {
	const node = createImageNode(settings);
	return { ...node, name: EDIT_NODE, type: EDIT_NODE_TYPE, parameters: { ...node.parameters, images: settings.images ?? 'data' } };
}

/** A file for an emitted item: `{ data: base64, mimeType, fileName }` (see the emitItems fixture). */
export const file = (data: Buffer, mimeType: string, fileName: string) => ({ data: data.toString('base64'), mimeType, fileName });

/** Runs [Prepare (emits `rows`, files through prepareBinaryData) -> Edit Image] through n8n's engine. */
export async function runEditImage(
	server: ImageServer,
	rows: Array<{ json: IDataObject; binary?: Record<string, ReturnType<typeof file>> }>,
	settings: EditImageSettings = {},
	extra: Partial<RunOptions> = {},
): Promise<NodeRun> {
	return await runAfterPrepare(server, rows, editImageNode(settings), extra);
}

/** Edit requests the server received. */
export const edits = (server: ImageServer) => server.requests.filter((r) => r.kind === 'edit');

/** A failed item's error as a workflow reads it, `$json.error` (nodes/shared/errorItem.ts). */
export type ItemError = ItemErrorDetails;
export const itemError = (item: { json: IDataObject }) => item.json.error as ItemError | undefined;
/** A failed item's message (`$json.error.message`); undefined for other items. */
export const errorMessage = (item: { json: IDataObject }) => itemError(item)?.message;
