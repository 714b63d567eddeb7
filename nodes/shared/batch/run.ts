/**
 * Request Mode › Batch: the items' requests go through OpenAI's Batch API (half the price,
 * results within 24 h; openai 7.59.0 `resources/batches.d.ts`). Every item is checked as in
 * direct mode before anything is uploaded; the lines are grouped by model and split by the
 * input-file limits (plan.ts), uploaded (POST /files) and run as batches (POST /batches) named
 * by metadata; the node then polls them (or, with Wait for Results off, returns one Result item
 * per input item) and turns the output and error files, read line by line, into the items
 * direct mode makes, in input order.
 */
import { createHash } from 'crypto';

import { NodeApiError, NodeOperationError, type IDataObject, type IExecuteFunctions, type INode, type INodeExecutionData } from 'n8n-workflow';

import { now } from '../clock';
import { errorItem } from '../errorItem';
import { imageItems, imagesFromAnswer, rawItems, reportUsage, type MadeImage } from '../output';
import { inputError, readBoolean, readNumber, readText, type ItemConfig } from '../parameters';
import { isToolNode } from '../tool';
import { nodeWideError, planItems, type BatchPlan, type ImageOperation } from '../run';
import type { Endpoint } from '../transport/endpoint';
import { buildApiError } from '../transport/errors';
import type { ApiAnswer, SendSettings } from '../transport/http';
import { abortableSleep, AdaptiveLimiter } from '../transport/limiter';
import type { PartSource } from '../transport/multipart';
import { BatchApi, isFinal, type BatchObject } from './api';
import { readBatchOutput } from './outputFile';
import { encodeLine, LineTooLargeError, planFiles, type BatchFilePlan, type BatchLine } from './plan';

export type RequestMode = 'direct' | 'batch';

/** The package's name in batch metadata: how Image Batch › List finds this package's batches. */
export const METADATA_PACKAGE = 'n8n-nodes-create-image';

/** Polling back-off in seconds: seconds at first, then minutes; the last value repeats. */
export const POLL_DELAYS_S = [1, 2, 4, 8, 15, 30, 60, 120, 300];

/** The node-wide batch settings (read from item 0: they decide how the whole node runs). */
export interface BatchSettings {
	wait: boolean;
	maxWaitHours: number;
	deleteFiles: boolean;
}

const AZURE_REFUSAL =
	"Batch is not available with Azure OpenAI: its Global Batch takes no image models (Microsoft's global-batch model matrix, 2026). Choose Request Mode › Direct";

/**
 * Request Mode, node-wide (item 0): `direct` (default) or `batch`. Throws NodeOperationError
 * naming the field for another value, and for batch with Azure OpenAI (before any request).
 */
export function readRequestMode(ctx: IExecuteFunctions, endpoint: Endpoint): RequestMode {
	const value = (readText(ctx, 0, 'Request Mode', ctx.getNodeParameter('requestMode', 0, 'direct')) ?? 'direct').trim() || 'direct';
	const fail = (message: string): never => {
		const error = new NodeOperationError(ctx.getNode(), `Request Mode: ${message}`);
		error.context.field = 'Request Mode';
		throw error;
	};
	if (value !== 'direct' && value !== 'batch') fail(`${JSON.stringify(value)} is not accepted; accepted: direct, batch`);
	if (value === 'batch' && endpoint.kind === 'azure') fail(AZURE_REFUSAL);
	// An agent's tool call waits for its answer: hours of batch are no answer.
	if (value === 'batch' && isToolNode(ctx)) fail('Batch is not available when the node is an AI Agent tool (a tool call needs its answer now); choose Request Mode › Direct');
	return value as RequestMode;
}

/** Wait for Results, Max Wait (hours), Delete Files: node-wide. Throws NodeOperationError naming the field. */
function readBatchSettings(ctx: IExecuteFunctions): BatchSettings {
	try {
		const wait = readBoolean(ctx, 0, 'Wait for Results', ctx.getNodeParameter('batchWait', 0, true)) ?? true;
		const maxWaitHours = readNumber(ctx, 0, 'Max Wait (Hours)', ctx.getNodeParameter('batchMaxWaitHours', 0, 25)) ?? 25;
		if (!(maxWaitHours > 0)) throw inputError(ctx, 0, 'Max Wait (Hours)', `${maxWaitHours} is not accepted; expected a number of hours above 0`);
		const deleteFiles = readBoolean(ctx, 0, 'Delete Files', ctx.getNodeParameter('batchDeleteFiles', 0, true)) ?? true;
		return { wait, maxWaitHours, deleteFiles };
	} catch (error) {
		const nodeError = new NodeOperationError(ctx.getNode(), (error as Error).message.replace(/^\[item 0\] /, ''));
		nodeError.context.field = (error as NodeOperationError).context?.field;
		throw nodeError;
	}
}

/** Streaming and partial images have no place in a batch line (one answer per line). Throws ItemInputError. */
function refuseStreaming(ctx: IExecuteFunctions, itemIndex: number, config: ItemConfig): void {
	const extra = config.extraBody;
	if (config.partialImages !== undefined || extra.partial_images !== undefined) {
		throw inputError(ctx, itemIndex, 'Options › Partial Images', 'is not taken in Request Mode › Batch (a batch line has one answer); remove it, or choose Request Mode › Direct');
	}
	if (config.stream === true || extra.stream === true) {
		throw inputError(ctx, itemIndex, 'Options › Stream', 'is not taken in Request Mode › Batch (a batch line has one answer); turn it off, or choose Request Mode › Direct');
	}
}

/** One batch of this execution: what went into it and what the API says of it now. */
interface RunningBatch {
	batch: BatchObject;
	file: BatchFilePlan;
	inputFileId: string;
}

/** Where the lines of a batch go: the item each custom_id came from, with its configuration. */
export interface LineTarget {
	itemIndex: number;
	part: number;
	config: ItemConfig;
}

/** Items made from a batch's files, per item, and each item's error. */
export interface BatchResults {
	items: Map<number, INodeExecutionData[]>;
	errors: Map<number, NodeApiError | NodeOperationError>;
	/** The files read (output, error), for deletion. */
	filesRead: string[];
}

/** An item's error: `itemIndex` pairs it (the input item), `shown` is the item the message names (the item the request came from). */
const errorFor = (ctx: IExecuteFunctions, itemIndex: number, message: string, shown = itemIndex) =>
	new NodeOperationError(ctx.getNode(), `[item ${shown}] ${message}`, { itemIndex });

const counts = (batch: BatchObject) => {
	const c = batch.request_counts;
	return c ? `${c.completed} completed, ${c.failed} failed of ${c.total}` : 'no counts yet';
};

/** The error of a line the batch did not run (`response: null`): expired and cancelled ones were not billed. */
function notRunError(ctx: IExecuteFunctions, itemIndex: number, shown: number, batchId: string, error: { code?: string; message?: string } | undefined, status: string) {
	const code = error?.code ?? (status === 'expired' ? 'batch_expired' : status === 'cancelled' ? 'batch_cancelled' : undefined);
	const said = error?.message ? ` (${error.message})` : '';
	const made =
		code === 'batch_expired'
			? errorFor(ctx, itemIndex, `Not processed: batch ${batchId} expired (24 h window) before this request ran; it was not billed${said}`, shown)
			: code === 'batch_cancelled'
				? errorFor(ctx, itemIndex, `Not processed: batch ${batchId} was cancelled before this request ran; it was not billed${said}`, shown)
				: errorFor(ctx, itemIndex, `Batch ${batchId} could not run this request: ${code ?? 'error'}${said}`, shown);
	made.context.apiError = { code };
	return made;
}

/**
 * Turns a final batch's output and error files into items (reading each as a byte stream, line by
 * line), for the lines `targets` names by custom_id. Each line becomes exactly the items direct
 * mode makes (output.ts) plus `batchId` and `customId`; a line with an error status becomes the
 * item's error (as direct mode's), a line not run (expired, cancelled) an error saying it was not
 * billed; items without any line get an error naming the batch's status. A `failed` batch names
 * each item's error from its line number (`errors.data[].line`, 1-based, in `lineOrder`).
 * `pairedIndex(itemIndex)` gives the input item the results pair with.
 */
export async function readBatchResults(
	ctx: IExecuteFunctions,
	api: BatchApi,
	endpoint: Endpoint,
	batch: BatchObject,
	targets: Map<string, LineTarget>,
	lineOrder: string[],
	pairedIndex: (itemIndex: number) => number = (itemIndex) => itemIndex,
	extraJson: (target: LineTarget) => IDataObject = () => ({}),
): Promise<BatchResults> {
	const results: BatchResults = { items: new Map(), errors: new Map(), filesRead: [] };
	const byItem = new Map<number, LineTarget[]>();
	for (const target of targets.values()) byItem.set(target.itemIndex, [...(byItem.get(target.itemIndex) ?? []), target]);
	const fail = (itemIndex: number, error: NodeApiError | NodeOperationError) => {
		if (!results.errors.has(itemIndex)) results.errors.set(itemIndex, error);
		results.items.delete(itemIndex);
	};

	if (batch.status === 'failed') {
		const problems = batch.errors?.data ?? [];
		const general = problems.filter((problem) => !problem.line).map((problem) => problem.message ?? problem.code).join('; ');
		for (const problem of problems) {
			const customId = problem.line ? lineOrder[problem.line - 1] : undefined;
			const target = customId ? targets.get(customId) : undefined;
			if (!target) continue;
			const index = pairedIndex(target.itemIndex);
			const param = problem.param ? ` (param: ${problem.param})` : '';
			const error = errorFor(ctx, index, `Batch ${batch.id} failed validation: line ${problem.line}: ${problem.message ?? problem.code ?? 'invalid'}${param}; nothing was billed`, target.itemIndex);
			error.context.apiError = { code: problem.code, param: problem.param ?? undefined };
			fail(target.itemIndex, error);
		}
		for (const itemIndex of byItem.keys()) {
			if (!results.errors.has(itemIndex)) {
				fail(itemIndex, errorFor(ctx, pairedIndex(itemIndex), `Batch ${batch.id} failed validation${general ? `: ${general}` : ' (no line of this item was named)'}; nothing was billed`, itemIndex));
			}
		}
		return results;
	}

	// Raw Response keeps each answer whole; Images decodes each image in place.
	const read = [...targets.values()].some((target) => target.config.resultFormat === 'rawResponse') ? 'json' : 'images';
	const received = new Map<number, Array<{ target: LineTarget; images?: MadeImage[]; answer?: ApiAnswer }>>();
	const settings: SendSettings = { itemIndex: 0, timeout: 600_000, maxRetries: 2, limiter: new AdaptiveLimiter(4) };

	const finish = async (itemIndex: number) => {
		const parts = (received.get(itemIndex) ?? []).sort((a, b) => a.target.part - b.target.part);
		received.delete(itemIndex);
		const index = pairedIndex(itemIndex);
		const withIds = (items: INodeExecutionData[], part: { target: LineTarget }) =>
			items.map((item) => ({ ...item, json: { ...item.json, batchId: batch.id, customId: customIdOfTarget(part.target), ...extraJson(part.target) }, pairedItem: { item: index } }));
		const config = parts[0].target.config;
		if (config.resultFormat === 'rawResponse') {
			results.items.set(itemIndex, parts.flatMap((part) => withIds(rawItems(index, [part.answer!], config, endpoint.kind), part)));
			return;
		}
		for (const part of parts) for (const image of part.images ?? []) Object.assign(image.json, { batchId: batch.id, customId: customIdOfTarget(part.target), ...extraJson(part.target) });
		const items = await imageItems(ctx, itemIndex, config, parts.flatMap((part) => part.images ?? []));
		results.items.set(itemIndex, items.map((item) => ({ ...item, pairedItem: { item: index } })));
	};

	for (const fileId of [batch.output_file_id, batch.error_file_id]) {
		if (!fileId) continue;
		const stream = await api.fileContent(fileId);
		try {
			for await (const line of readBatchOutput(stream, read)) {
				const target = targets.get(line.customId);
				if (!target || results.errors.has(target.itemIndex)) continue;
				const index = pairedIndex(target.itemIndex);
				const { answer } = line;
				// Billed at half price: the cost estimate (estimatedCost) reads this.
				if (answer) answer.batch = true;
				if (!answer) {
					fail(target.itemIndex, notRunError(ctx, index, target.itemIndex, batch.id, line.error, batch.status));
					continue;
				}
				// Raw Response keeps every answer as a row, as in direct mode; Images makes an error of an error status.
				if (answer.status >= 400 && target.config.resultFormat !== 'rawResponse') {
					fail(target.itemIndex, buildApiError(ctx.getNode(), index, answer.status, answer.body, target.config.model, 1, answer, endpoint.kind));
					continue;
				}
				// Each line is one request: its token usage goes to the run's metadata once, as in Direct mode.
				if (answer.status < 400) reportUsage(ctx, answer);
				const part: { target: LineTarget; images?: MadeImage[]; answer?: ApiAnswer } = { target };
				if (target.config.resultFormat === 'rawResponse') part.answer = answer;
				else {
					try {
						part.images = (await imagesFromAnswer(ctx, target.config, answer, { receivedAt: now(), settings: { ...settings, itemIndex: index }, endpoint })).images;
					} catch (error) {
						fail(target.itemIndex, error as NodeApiError);
						continue;
					}
				}
				const parts = received.get(target.itemIndex) ?? [];
				parts.push(part);
				received.set(target.itemIndex, parts);
				if (parts.length === byItem.get(target.itemIndex)!.length) await finish(target.itemIndex);
			}
		} finally {
			stream.destroy();
		}
		results.filesRead.push(fileId);
	}
	for (const itemIndex of byItem.keys()) {
		if (results.items.has(itemIndex) || results.errors.has(itemIndex)) continue;
		received.delete(itemIndex);
		const index = pairedIndex(itemIndex);
		fail(
			itemIndex,
			batch.status === 'completed'
				? errorFor(ctx, index, `Batch ${batch.id} is completed but its files hold no result for this item's request(s)`, itemIndex)
				: notRunError(ctx, index, itemIndex, batch.id, undefined, batch.status),
		);
	}
	return results;
}

const customIdOfTarget = (target: LineTarget) => `item-${target.itemIndex}-${target.part}`;

/** A PartSource of JSONL lines, written one after the other into the request body. */
function linesSource(file: BatchFilePlan): PartSource {
	return {
		size: file.bytes,
		writeInto: async (target, offset) => {
			let at = offset;
			for (const line of file.lines) {
				line.data!.copy(target, at);
				at += line.bytes;
			}
		},
	};
}

/** Reads a file part's bytes whole (for its hash and its upload). */
async function bytesOf(source: PartSource): Promise<Buffer> {
	const buffer = Buffer.allocUnsafe(source.size);
	await source.writeInto(buffer, 0);
	return buffer;
}

/** Metadata naming where a batch comes from (openai 7.59.0 `Metadata`: 16 pairs, keys 64 and values 512 characters). */
function metadataOf(ctx: IExecuteFunctions, part: number, parts: number, file: BatchFilePlan, configs: ItemConfig[]): Record<string, string> {
	const workflow = ctx.getWorkflow();
	const formats = new Set(configs.map((config) => config.resultFormat));
	const fields = new Set(configs.map((config) => config.binaryPropertyName));
	// Prices per 1M Tokens, when the file's items share them: Image Batch › Get Results prices by them too.
	const prices = new Set(configs.map((config) => (config.prices ? JSON.stringify(config.prices) : '')));
	const metadata: Record<string, string> = {
		n8n_package: METADATA_PACKAGE,
		n8n_workflow_id: String(workflow.id ?? ''),
		n8n_workflow: String(workflow.name ?? ''),
		n8n_execution_id: String(ctx.getExecutionId() ?? ''),
		n8n_node: ctx.getNode().name,
		n8n_part: `${part} of ${parts}`,
		n8n_model: file.model,
		n8n_result_format: formats.size === 1 ? [...formats][0] : 'images',
		n8n_binary_field: fields.size === 1 ? [...fields][0] : 'data',
		...(prices.size === 1 && [...prices][0] ? { n8n_prices: [...prices][0] } : {}),
	};
	return Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, value.slice(0, 512)]));
}

/**
 * Request Mode › Batch for a node's items: see the module comment. Returns the Result output.
 * Throws the first item's error unless the node continues on fail; a failure of the Files or Batch
 * API itself (a server without them, a refused upload) fails every item alike.
 */
export async function runBatch(ctx: IExecuteFunctions, operation: ImageOperation, endpoint: Endpoint, continueOnFail: boolean): Promise<INodeExecutionData[]> {
	const itemCount = ctx.getInputData().length;
	const node = ctx.getNode().name;
	// A failure of the node as a whole (settings, the Files or Batch API itself): every item alike,
	// except an item already refused by the checks, which keeps its own error (`own`).
	const nodeWide = (error: unknown, own?: Map<number, NodeApiError | NodeOperationError>): INodeExecutionData[] => {
		const nodeError = asNodeError(ctx, error);
		if (!continueOnFail) throw nodeError;
		return Array.from({ length: itemCount }, (_, itemIndex) =>
			errorItem(itemIndex, own?.get(itemIndex) ?? (nodeError instanceof NodeApiError ? nodeError : nodeWideError(ctx, nodeError, itemIndex))),
		);
	};
	let settings: BatchSettings;
	try {
		settings = readBatchSettings(ctx);
	} catch (error) {
		return nodeWide(error);
	}

	const url = `/v1/images/${operation.path}`;
	const plans = await planItems(ctx, itemCount, endpoint, continueOnFail, async (itemIndex, config, family): Promise<BatchPlan> => {
		refuseStreaming(ctx, itemIndex, config);
		const batch = operation.planBatch
			? await operation.planBatch(ctx, itemIndex, config, family, endpoint)
			: { files: [], bodies: () => operation.plan(ctx, itemIndex, config, family, true, endpoint) as IDataObject[] };
		return { config, batch };
	});
	const errors = new Map<number, NodeApiError | NodeOperationError>();
	plans.forEach((plan, itemIndex) => {
		if (plan instanceof NodeOperationError) errors.set(itemIndex, plan);
	});
	const planned = (itemIndex: number) => plans[itemIndex] as BatchPlan;
	const active = () => plans.map((_, itemIndex) => itemIndex).filter((itemIndex) => !errors.has(itemIndex));

	const cancel = ctx.getExecutionCancelSignal();
	const first = active()[0];
	const api = BatchApi.create(ctx, endpoint, {
		timeout: first === undefined ? 600_000 : planned(first).config.timeout,
		maxRetries: first === undefined ? 3 : planned(first).config.maxRetries,
		signal: cancel,
	});
	const uploaded: string[] = [];
	const running: RunningBatch[] = [];
	const cleanUp = async (fileIds: string[]) => {
		const cleaner = api.withoutSignal();
		for (const fileId of fileIds) await cleaner.deleteFile(fileId);
	};

	try {
		// Edit inputs: each distinct file (by its bytes) uploaded once, then referenced by file_id.
		const byHash = new Map<string, string>();
		const lines: BatchLine[] = [];
		for (const itemIndex of active()) {
			const { batch } = planned(itemIndex);
			const fileIds: string[] = [];
			for (const file of batch.files) {
				const bytes = await bytesOf(file.source);
				const hash = createHash('sha256').update(bytes).digest('hex');
				let fileId = byHash.get(hash);
				if (!fileId) {
					fileId = await api.uploadFile('vision', file.fileName, file.contentType, { size: bytes.length, writeInto: async (target, offset) => void bytes.copy(target, offset) });
					byHash.set(hash, fileId);
					uploaded.push(fileId);
				}
				fileIds.push(fileId);
			}
			batch.bodies(fileIds).forEach((body, part) => lines.push(encodeLine(itemIndex, part, url, body)));
		}

		let files: BatchFilePlan[] | undefined;
		let remaining = lines;
		while (!files) {
			try {
				files = planFiles(remaining);
			} catch (error) {
				if (!(error instanceof LineTooLargeError)) throw new NodeOperationError(ctx.getNode(), error as Error);
				const refused = inputError(ctx, error.itemIndex, 'Prompt', `${error.message}, more than one batch input file takes (50,000 lines, 200 MB); shorten it, or choose Request Mode › Direct`);
				if (!continueOnFail) throw refused;
				errors.set(error.itemIndex, refused);
				remaining = remaining.filter((line) => line.itemIndex !== error.itemIndex);
			}
		}

		for (const [index, file] of files.entries()) {
			const fileName = `n8n-${ctx.getExecutionId() ?? 'run'}-${node.replace(/[^\w.-]+/g, '_')}-${index + 1}.jsonl`;
			const inputFileId = await api.uploadFile('batch', fileName, 'application/jsonl', linesSource(file), 'Uploading the requests');
			uploaded.push(inputFileId);
			for (const line of file.lines) line.data = undefined;
			const configs = file.lines.map((line) => planned(line.itemIndex).config);
			const batch = await api.createBatch(inputFileId, url, metadataOf(ctx, index + 1, files.length, file, configs));
			running.push({ batch, file, inputFileId });
			ctx.logger.info(`${node}: batch ${batch.id} created (${file.model}, ${file.lines.length} requests)`);
		}
	} catch (error) {
		if (cancel?.aborted) throw await stopped(ctx, api, running);
		// Nothing is lost: the batches already created are named; without Continue, the node fails.
		if (running.length) {
			(error as NodeOperationError).description = `${(error as NodeOperationError).description ?? ''} Batches already created: ${running.map((r) => r.batch.id).join(', ')}`.trim();
		} else if (settings.deleteFiles) await cleanUp(uploaded);
		return nodeWide(error, errors);
	}

	const result = (): INodeExecutionData[] => {
		const byItem = new Map<number, { run: RunningBatch; customIds: string[] }>();
		for (const run of running) {
			for (const line of run.file.lines) {
				const entry = byItem.get(line.itemIndex) ?? { run, customIds: [] };
				entry.customIds.push(line.customId);
				byItem.set(line.itemIndex, entry);
			}
		}
		return plans.map((_, itemIndex) => {
			const error = errors.get(itemIndex);
			const entry = byItem.get(itemIndex);
			if (error || !entry) return errorItem(itemIndex, error ?? errorFor(ctx, itemIndex, 'no request was made for this item'));
			const { batch } = entry.run;
			return {
				json: { batchId: batch.id, customIds: entry.customIds, status: batch.status, model: entry.run.file.model, requests: entry.customIds.length },
				pairedItem: { item: itemIndex },
			};
		});
	};
	const firstError = () => {
		const [itemIndex] = [...errors.keys()].sort((a, b) => a - b);
		return itemIndex === undefined ? undefined : errors.get(itemIndex);
	};
	if (!settings.wait || running.length === 0) return result();
	// A failure once the batches run (a poll, reading their files): the results stay with the
	// provider; the error says where to pick them up, and under Continue every item gets it.
	const pickUpLater = (error: unknown): INodeExecutionData[] => {
		const nodeError = asNodeError(ctx, error);
		nodeError.description = `${nodeError.description ?? ''} The batch results stay with the provider: Image Batch › Get Results with batch ID ${running.map((run) => run.batch.id).join(', ')}`.trim();
		return nodeWide(nodeError, errors);
	};

	// Wait: poll with back-off until every batch is final, the max wait has passed, or the execution stops.
	const deadline = now() + settings.maxWaitHours * 3_600_000;
	try {
		for (let round = 0; running.some((run) => !isFinal(run.batch)); round++) {
			if (now() >= deadline) {
				ctx.logger.info(`${node}: max wait of ${settings.maxWaitHours} h passed; the batches go on (Image Batch › Get Results picks them up)`);
				return result();
			}
			await abortableSleep(POLL_DELAYS_S[Math.min(round, POLL_DELAYS_S.length - 1)] * 1000, cancel);
			for (const run of running) {
				if (isFinal(run.batch)) continue;
				run.batch = await api.retrieve(run.batch.id);
				ctx.logger.info(`${node}: batch ${run.batch.id} ${run.batch.status}: ${counts(run.batch)}`);
			}
		}
	} catch (error) {
		if (cancel?.aborted) throw await stopped(ctx, api, running);
		return pickUpLater(error);
	}

	// Read: every batch's files, items in input order whatever the files' order.
	const slots = new Map<number, INodeExecutionData[]>();
	const filesRead: string[] = [];
	try {
		for (const run of running) {
			const targets = new Map<string, LineTarget>(
				run.file.lines.map((line) => [line.customId, { itemIndex: line.itemIndex, part: line.part, config: planned(line.itemIndex).config }]),
			);
			const read = await readBatchResults(ctx, api, endpoint, run.batch, targets, run.file.lines.map((line) => line.customId));
			for (const [itemIndex, items] of read.items) slots.set(itemIndex, items);
			for (const [itemIndex, error] of read.errors) errors.set(itemIndex, error);
			filesRead.push(...read.filesRead);
		}
	} catch (error) {
		if (cancel?.aborted) throw asNodeError(ctx, error);
		return pickUpLater(error);
	}
	const failure = firstError();
	if (!continueOnFail && failure) {
		// The results stay with the provider, to be picked up again: nothing is deleted (Get Results reads the input file too).
		failure.description = `${failure.description ?? ''} The batch results stay with the provider: Image Batch › Get Results with batch ID ${running.map((run) => run.batch.id).join(', ')}`.trim();
		throw failure;
	}
	if (settings.deleteFiles) await cleanUp([...uploaded, ...filesRead]);
	return plans.flatMap((_, itemIndex) => {
		const error = errors.get(itemIndex);
		return error ? [errorItem(itemIndex, error)] : (slots.get(itemIndex) ?? []);
	});
}

/** An error as the node throws it: a NodeApiError or NodeOperationError as it is, anything else wrapped. */
export function asNodeError(ctx: IExecuteFunctions | INode, error: unknown): NodeApiError | NodeOperationError {
	const node = 'getNode' in ctx ? ctx.getNode() : ctx;
	return error instanceof NodeApiError || error instanceof NodeOperationError ? error : new NodeOperationError(node, error as Error);
}

/**
 * After a stop: cancels the node's batches that still run, logs it, and returns the error that
 * says so. A batch whose creation was under way when the stop came is not known by its id: the
 * newest batches are searched for this execution's and node's metadata, and cancelled too.
 * The message says "canceled", so that n8n counts the execution as canceled, not failed.
 */
async function stopped(ctx: IExecuteFunctions, api: BatchApi, running: RunningBatch[]): Promise<NodeOperationError> {
	const cleaner = api.withoutSignal();
	const node = ctx.getNode().name;
	const executionId = String(ctx.getExecutionId() ?? '');
	const toCancel = running.filter((run) => !isFinal(run.batch)).map((run) => run.batch);
	try {
		const { data } = await cleaner.list(100);
		const known = new Set(running.map((run) => run.batch.id));
		for (const batch of data) {
			const metadata = batch.metadata ?? {};
			if (!known.has(batch.id) && !isFinal(batch) && metadata.n8n_execution_id === executionId && metadata.n8n_node === node && executionId) toCancel.push(batch);
		}
	} catch (error) {
		ctx.logger.warn(`${node}: could not look for batches created while the execution stopped: ${(error as Error).message}`);
	}
	const cancelled: string[] = [];
	for (const batch of toCancel) {
		try {
			await cleaner.cancel(batch.id);
			cancelled.push(batch.id);
		} catch (error) {
			ctx.logger.warn(`${node}: could not cancel batch ${batch.id}: ${(error as Error).message}`);
		}
	}
	const message = cancelled.length
		? `Execution canceled: batch ${cancelled.join(', ')} cancelled (requests already done are billed; Image Batch › Get Results gives them)`
		: 'Execution canceled before any batch was running';
	ctx.logger.info(`${node}: ${message}`);
	return new NodeOperationError(ctx.getNode(), message);
}
