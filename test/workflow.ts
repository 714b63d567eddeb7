/** Builds Create Image workflows for the tests: a data-prep node in front, the node, its settings. */
import type { IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import type { ImageServer } from './server';
import { chain, FIXTURE_TYPES, runWorkflow, type RunOptions, type RunResult } from './helpers/engine';
import { imageDimensions as headerDimensions } from '../nodes/shared/dimensions';

export const NODE_TYPE = 'n8n-nodes-create-image.createImage';
export const NODE = 'Create Image';

export interface CreateImageSettings {
	model?: string | IDataObject;
	prompt?: string;
	resultFormat?: 'images' | 'rawResponse';
	options?: IDataObject;
	authentication?: 'openAiImagesApi' | 'azureOpenAiImagesApi';
	onError?: INode['onError'];
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

/** Runs [Prepare (emits `rows`) -> Create Image] through n8n's engine. */
export async function runCreateImage(
	server: ImageServer,
	rows: IDataObject[],
	settings: CreateImageSettings = {},
	extra: Partial<RunOptions> = {},
): Promise<RunResult & { result: INodeExecutionData[]; configuration: INodeExecutionData[]; errors: INodeExecutionData[] }> {
	const run = await runWorkflow({
		nodes: [
			{ name: 'Prepare', type: FIXTURE_TYPES.emitItems, parameters: { items: JSON.stringify(rows.map((json) => ({ json }))) } },
			createImageNode(settings),
		],
		connections: chain('Prepare', NODE),
		startNode: 'Prepare',
		credentials: openAiCredentials(server),
		...extra,
	});
	const ran = run.executedNodes.includes(NODE);
	const [result = [], configuration = [], errors = []] = ran ? run.outputs(NODE) : [];
	return Object.assign(run, { result, configuration, errors });
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
