import {
	NodeApiError,
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { BatchApi, isFinal, type BatchObject } from '../shared/batch/api';
import { jsonLines } from '../shared/batch/lines';
import { parseCustomId } from '../shared/batch/plan';
import { asNodeError, METADATA_PACKAGE, readBatchResults, type LineTarget } from '../shared/batch/run';
import { authenticationProperty, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from '../shared/description';
import { errorItem } from '../shared/errorItem';
import { imageNodeBase } from '../shared/node';
import { readNumber, readText, type ItemConfig } from '../shared/parameters';
import { RATE_KEYS, type TokenRates } from '../shared/prices';
import { isToolNode, runAsTool } from '../shared/tool';
import { resolveEndpoint, type AuthenticationType, type Endpoint } from '../shared/transport/endpoint';

type Operation = 'getResults' | 'cancel' | 'list';

/** A batch as an item: its id, status, counts and where it came from (its metadata). */
function batchJson(batch: BatchObject): IDataObject {
	const metadata = batch.metadata ?? {};
	return {
		batchId: batch.id,
		status: batch.status,
		requestCounts: (batch.request_counts ?? null) as IDataObject | null,
		createdAt: new Date(batch.created_at * 1000).toISOString(),
		endpoint: batch.endpoint,
		model: metadata.n8n_model ?? batch.model,
		workflowId: metadata.n8n_workflow_id,
		workflow: metadata.n8n_workflow,
		executionId: metadata.n8n_execution_id,
		node: metadata.n8n_node,
		part: metadata.n8n_part,
	};
}

/**
 * The Prices per 1M Tokens a batch was made with (its `n8n_prices` metadata, written by batch
 * mode when the batch's items share them), or undefined when there are none or they do not read
 * as three rates >= 0 (then the price table applies, as for any batch). Throws nothing.
 */
function pricesOf(metadata: Record<string, string>): TokenRates | undefined {
	if (!metadata.n8n_prices) return undefined;
	try {
		const given = JSON.parse(metadata.n8n_prices) as Record<string, unknown>;
		const ok = RATE_KEYS.every((key) => typeof given[key] === 'number' && Number.isFinite(given[key]) && (given[key] as number) >= 0);
		return ok ? (Object.fromEntries(RATE_KEYS.map((key) => [key, given[key]])) as unknown as TokenRates) : undefined;
	} catch {
		return undefined;
	}
}

/**
 * The configuration each line of a batch was made with, read back from its input file (GET
 * /files/{input_file_id}/content, line by line): model, prompt, size, quality, background; the
 * result format, binary field and Prices per 1M Tokens from the batch's metadata.
 */
async function targetsOf(api: BatchApi, batch: BatchObject): Promise<{ targets: Map<string, LineTarget>; order: string[] }> {
	const metadata = batch.metadata ?? {};
	const targets = new Map<string, LineTarget>();
	const order: string[] = [];
	const prices = pricesOf(metadata);
	let stream;
	try {
		stream = await api.fileContent(batch.input_file_id);
	} catch (error) {
		const gone = error instanceof NodeApiError && error.httpCode === '404';
		if (!gone) throw asNodeError(api.node, error);
		throw new NodeOperationError(
			api.node,
			`The input file ${batch.input_file_id} of batch ${batch.id} is gone (Delete Files removes it once Create Image or Edit Image has delivered the results): its lines can no longer be matched to items`,
		);
	}
	try {
		for await (const line of jsonLines(stream)) {
			const customId = String(line.custom_id ?? '');
			order.push(customId);
			const origin = parseCustomId(customId);
			if (!origin) continue;
			const body = (line.body ?? {}) as IDataObject;
			const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
			const config: ItemConfig = {
				model: text(body.model) ?? metadata.n8n_model ?? '',
				prompt: text(body.prompt) ?? '',
				size: text(body.size),
				quality: text(body.quality),
				background: text(body.background),
				resultFormat: metadata.n8n_result_format === 'rawResponse' ? 'rawResponse' : 'images',
				binaryPropertyName: metadata.n8n_binary_field || 'data',
				fileName: '',
				extraBody: {},
				timeout: DEFAULT_TIMEOUT_MS,
				maxRetries: DEFAULT_MAX_RETRIES,
				retryOnUnknownOutcome: false,
				...(prices ? { prices } : {}),
			};
			targets.set(customId, { ...origin, config });
		}
	} finally {
		stream.destroy();
	}
	return { targets, order };
}

/**
 * Which input item named each request of a batch: per batch ID (`batchIdOf`, per item), the item
 * index a custom_id came from (`item-<i>-<part>`) mapped to the input item whose JSON lists that
 * custom_id in `customIds` (the Result items Create Image and Edit Image give with Wait for
 * Results off). Items without such a list, or whose Batch ID cannot be read, name none. Throws nothing.
 */
function requestOwners(items: INodeExecutionData[], batchIdOf: (itemIndex: number) => string): Map<string, Map<number, number>> {
	const owners = new Map<string, Map<number, number>>();
	items.forEach((item, itemIndex) => {
		const customIds = item.json.customIds;
		if (!Array.isArray(customIds)) return;
		let batchId: string;
		try {
			batchId = batchIdOf(itemIndex);
		} catch {
			return;
		}
		const byOrigin = owners.get(batchId) ?? new Map<number, number>();
		for (const customId of customIds) {
			const origin = typeof customId === 'string' ? parseCustomId(customId) : undefined;
			if (origin && !byOrigin.has(origin.itemIndex)) byOrigin.set(origin.itemIndex, itemIndex);
		}
		owners.set(batchId, byOrigin);
	});
	return owners;
}

export class ImageBatch implements INodeType {
	description: INodeTypeDescription = {
		group: ['transform'],
		version: 1,
		credentials: imageNodeBase.credentials,
		displayName: 'Image Batch',
		name: 'imageBatch',
		subtitle: '={{ $parameter["operation"] }}',
		icon: { light: 'file:../../icons/openAiImages.svg', dark: 'file:../../icons/openAiImages.dark.svg' },
		description:
			"Get the results of, cancel or list the image batches Create Image and Edit Image send in Request Mode › Batch (OpenAI's Batch API)",
		defaults: { name: 'Image Batch' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		properties: [
			authenticationProperty,
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Get Results',
						value: 'getResults',
						action: 'Get the results of a batch',
						description: 'While it runs: its status and counts; when done: its images, one item per image, each with the custom ID and item index it came from',
					},
					{ name: 'Cancel', value: 'cancel', action: 'Cancel a batch', description: 'Cancel a batch; what is already done stays (and is billed)' },
					{ name: 'List', value: 'list', action: 'List batches', description: "This package's batches, newest first, with status and counts" },
				],
				default: 'getResults',
			},
			{
				displayName: 'Batch ID',
				name: 'batchId',
				type: 'string',
				default: '={{ $json.batchId }}',
				required: true,
				placeholder: 'e.g. batch_abc123',
				description: 'The batch, as Create Image or Edit Image gives it with Wait for Results off (batchId), or as List gives it',
				displayOptions: { show: { operation: ['getResults', 'cancel'] } },
			},
			{
				displayName: 'Limit',
				name: 'limit',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 50,
				description: 'Max number of results to return',
				displayOptions: { show: { operation: ['list'] } },
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const run = async () => await runImageBatch.call(this);
		// As an AI Agent tool: short answers for the model (no base64 of Raw Response rows), as the other nodes give.
		return isToolNode(this) ? await runAsTool(this, run) : await run();
	}
}

/** The node's operation on its input items: [Result] (see the description). */
async function runImageBatch(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const continueOnFail = this.continueOnFail();
	const operation = this.getNodeParameter('operation', 0) as Operation;
	const authentication = this.getNodeParameter('authentication', 0, 'openAiImagesApi') as AuthenticationType;
	const endpoint: Endpoint = await resolveEndpoint(this, authentication);
	if (endpoint.kind === 'azure') {
		throw new NodeOperationError(this.getNode(), "Azure OpenAI's Global Batch takes no image models: there are no image batches to get, cancel or list");
	}
	const api = BatchApi.create(this, endpoint, { timeout: DEFAULT_TIMEOUT_MS, maxRetries: DEFAULT_MAX_RETRIES, signal: this.getExecutionCancelSignal() });

	if (operation === 'list') {
		const limit = Math.max(1, Math.floor(readNumber(this, 0, 'Limit', this.getNodeParameter('limit', 0, 50)) ?? 50));
		const found: INodeExecutionData[] = [];
		let after: string | undefined;
		// Newest first (GET /batches); pages of 100 until enough of this package's batches are found.
		for (let page = 0; page < 50 && found.length < limit; page++) {
			const { data, hasMore } = await api.list(100, after);
			for (const batch of data) {
				if (batch.metadata?.n8n_package === METADATA_PACKAGE && found.length < limit) found.push({ json: batchJson(batch), pairedItem: { item: 0 } });
			}
			if (!hasMore || data.length === 0) break;
			after = data[data.length - 1].id;
		}
		return [found];
	}

	const output: INodeExecutionData[] = [];
	const done = new Set<string>();
	const batchIdOf = (itemIndex: number) => (readText(this, itemIndex, 'Batch ID', this.getNodeParameter('batchId', itemIndex, '')) ?? '').trim();
	const owners = requestOwners(items, batchIdOf);
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const batchId = batchIdOf(itemIndex);
			if (!batchId) {
				throw new NodeOperationError(this.getNode(), `[item ${itemIndex}] Batch ID: is empty; give a batch ID such as batch_abc123 (Create Image gives it as batchId)`, { itemIndex });
			}
			// Several input items often name one batch (one Result item per image request): read it once.
			if (done.has(batchId)) continue;
			done.add(batchId);
			if (operation === 'cancel') {
				output.push({ json: batchJson(await api.cancel(batchId)), pairedItem: { item: itemIndex } });
				continue;
			}
			const batch = await api.retrieve(batchId);
			if (!isFinal(batch)) {
				output.push({ json: batchJson(batch), pairedItem: { item: itemIndex } });
				continue;
			}
			const { targets, order } = await targetsOf(api, batch);
			// Each result pairs with the input item that named its request (a Result item's customIds), else with this one.
			const pairedIndex = (origin: number) => owners.get(batchId)?.get(origin) ?? itemIndex;
			const results = await readBatchResults(this, api, endpoint, batch, targets, order, pairedIndex, (target) => ({ itemIndex: target.itemIndex }));
			const itemIndexes = [...new Set([...results.items.keys(), ...results.errors.keys()])].sort((a, b) => a - b);
			for (const index of itemIndexes) {
				const error = results.errors.get(index);
				if (error) {
					if (!continueOnFail) throw error;
					output.push(errorItem(pairedIndex(index), error));
				} else output.push(...results.items.get(index)!);
			}
		} catch (error) {
			const nodeError = asNodeError(this, error);
			if (!continueOnFail) throw nodeError;
			output.push(errorItem(itemIndex, nodeError));
		}
	}
	return [output];
}
