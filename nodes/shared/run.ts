import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { now } from './clock';
import { errorItem } from './errorItem';
import type { ModelFamily } from './models';
import { imageItems, imagesFromAnswer, rawItems, reportUsage, type AnswerImages } from './output';
import { readConcurrency, readItemConfig, type ItemConfig } from './parameters';
import { resolveEndpoint, type AuthenticationType, type Endpoint, type ImagePath } from './transport/endpoint';
import { sendApiRequest, type ApiAnswer, type SendSettings } from './transport/http';
import type { EncodedBody } from './transport/multipart';
import { AdaptiveLimiter, throwIfAborted } from './transport/limiter';
import type { FilePart } from './transport/multipart';
import { validateItem } from './validate';
import { readRequestMode, runBatch, type RequestMode } from './batch/run';

/** What a node's operation adds to the shared run: its API path and how an item becomes requests. */
export interface ImageOperation {
	/** The Images API path: `generations` (POST /images/generations) or `edits` (POST /images/edits). */
	path: ImagePath;
	/**
	 * The request bodies for one checked item (several when `n` is split): JSON, or encoded when
	 * sent (multipart/form-data); `modelInBody` is false
	 * for Azure's dated routes, which name the deployment in the URL; `endpoint` is where the
	 * requests go (what the provider takes). Throws ItemInputError for
	 * input of the operation's own that is wrong; nothing has been sent yet.
	 */
	plan(
		ctx: IExecuteFunctions,
		itemIndex: number,
		config: ItemConfig,
		family: ModelFamily | undefined,
		modelInBody: boolean,
		endpoint: Endpoint,
	): RequestBody[] | Promise<RequestBody[]>;
	/**
	 * Batch mode (a batch line is JSON): the item's request bodies as JSON, given the ids of its
	 * `files` once uploaded (POST /files), in the same order. Without it, `plan`'s bodies are used
	 * as they are (they must be JSON). Throws ItemInputError as `plan` does; nothing is sent.
	 */
	planBatch?(ctx: IExecuteFunctions, itemIndex: number, config: ItemConfig, family: ModelFamily | undefined, endpoint: Endpoint): Promise<BatchItemPlan>;
}

/** An item's batch requests: the files to upload first, and its JSON bodies given their file ids. */
export interface BatchItemPlan {
	files: Array<Omit<FilePart, 'name'>>;
	bodies(fileIds: string[]): IDataObject[];
}

/** One request's body: a JSON object, or one encoded when it is sent. */
export type RequestBody = IDataObject | EncodedBody;

interface ItemPlan {
	config: ItemConfig;
	bodies: RequestBody[];
}

/** A checked item of batch mode: its configuration and batch requests. */
export interface BatchPlan {
	config: ItemConfig;
	batch: BatchItemPlan;
}

/** An item's output: its result items, and its error (alone, or beside images that arrived before it). */
type ItemOutcome = { items: INodeExecutionData[]; error?: NodeApiError | NodeOperationError };

/** A node-wide failure as one item's error: the same message and description, that item's index (and field). */
export function nodeWideError(ctx: IExecuteFunctions, error: NodeOperationError, itemIndex: number): NodeOperationError {
	const copy = new NodeOperationError(ctx.getNode(), error.message, { itemIndex, ...(error.description ? { description: error.description } : {}) });
	if (error.context.field !== undefined) copy.context.field = error.context.field; // the parameter at fault, for errorItem
	return copy;
}

/**
 * Reads and checks every item before anything is sent: bad input costs nothing. `plan` makes the
 * item's requests once it is checked (direct mode: planDirect; batch mode: batch/run.ts).
 * Returns each item's plan, or its error when the node continues on fail; else throws the first.
 */
export async function planItems<Plan>(
	ctx: IExecuteFunctions,
	itemCount: number,
	endpoint: Endpoint,
	continueOnFail: boolean,
	plan: (itemIndex: number, config: ItemConfig, family: ModelFamily | undefined) => Promise<Plan>,
): Promise<Array<Plan | NodeOperationError>> {
	const plans: Array<Plan | NodeOperationError> = [];
	for (let itemIndex = 0; itemIndex < itemCount; itemIndex++) {
		try {
			const config = readItemConfig(ctx, itemIndex);
			const family = validateItem(ctx, itemIndex, config, endpoint.limits);
			plans.push(await plan(itemIndex, config, family));
		} catch (error) {
			const nodeError =
				error instanceof NodeOperationError
					? error
					: new NodeOperationError(ctx.getNode(), error as Error, { itemIndex });
			if (!continueOnFail) throw nodeError;
			plans.push(nodeError);
		}
	}
	return plans;
}

/** How many final images a request body asks for: its `n`, else 1. */
function imagesAsked(body: RequestBody): number {
	const { n } = body as { n?: unknown };
	return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 1;
}

/**
 * Runs one item: its requests (split `n` included) in parallel within the shared bound. Every
 * request's token usage goes to the run's metadata once (reportUsage). The item's images, in
 * request order, and its error when something failed: images that arrived whole (a stream cut
 * after some of its images, a request of a split `n` that succeeded while another failed) are
 * kept beside the error, never dropped.
 */
async function runItem(
	ctx: IExecuteFunctions,
	operation: ImageOperation,
	itemIndex: number,
	plan: ItemPlan,
	endpoint: Endpoint,
	limiter: AdaptiveLimiter,
	signal: AbortSignal | undefined,
): Promise<ItemOutcome> {
	const { config } = plan;
	const settings: SendSettings = {
		itemIndex,
		timeout: config.timeout,
		maxRetries: config.maxRetries,
		retryOnUnknownOutcome: config.retryOnUnknownOutcome,
		limiter,
		signal,
	};
	const target = endpoint.route(operation.path, config.model);
	// Raw Response keeps the answer whole; Images decodes each image from the answer's bytes.
	const read = config.resultFormat === 'rawResponse' ? 'json' : 'images';
	const send = async (body: RequestBody): Promise<{ answer: ApiAnswer; receivedAt: number }> => {
		const answer = await sendApiRequest(ctx, endpoint, { method: 'POST', url: target.url, qs: target.qs, body, read }, settings);
		reportUsage(ctx, answer);
		return { answer, receivedAt: now() };
	};

	if (config.resultFormat === 'rawResponse') {
		const { results, error } = await allSettledOnFirstError(plan.bodies, settings, async (body) => (await send(body)).answer);
		if (error !== undefined) throw error;
		return { items: rawItems(itemIndex, results as ApiAnswer[], config, endpoint.kind) };
	}

	const { results, error } = await allSettledOnFirstError(plan.bodies, settings, async (body): Promise<AnswerImages> => {
		const { answer, receivedAt } = await send(body);
		return await imagesFromAnswer(ctx, config, answer, { receivedAt, settings, endpoint, asked: imagesAsked(body) });
	});
	const made = results.filter((result): result is AnswerImages => result !== undefined);
	const failure = error ?? made.find((result) => result.shortfall)?.shortfall;
	const images = made.flatMap((result) => result.images);
	if (failure !== undefined && images.length === 0) throw failure;
	const items = await imageItems(ctx, itemIndex, config, images);
	return failure === undefined ? { items } : { items, error: asNodeError(ctx, failure, itemIndex) };
}

const asNodeError = (ctx: IExecuteFunctions, error: unknown, itemIndex: number): NodeApiError | NodeOperationError =>
	error instanceof NodeApiError || error instanceof NodeOperationError ? error : new NodeOperationError(ctx.getNode(), error as Error, { itemIndex });

/**
 * Runs an item's requests (several when `n` is split) in parallel. When one fails, the others
 * of the item start nothing more (no new attempt, no download), and the item's outcome is known
 * only once all of them have settled: nothing of a failed item goes on after the node has
 * returned. Gives each request's result (undefined for those that failed) and the first error.
 */
async function allSettledOnFirstError<T, R>(
	inputs: T[],
	settings: SendSettings,
	run: (input: T) => Promise<R>,
): Promise<{ results: Array<R | undefined>; error?: unknown }> {
	if (inputs.length === 1) {
		try {
			return { results: [await run(inputs[0])] };
		} catch (error) {
			return { results: [undefined], error };
		}
	}
	const itemStop = new AbortController();
	const outer = settings.signal;
	settings.signal = outer ? AbortSignal.any([outer, itemStop.signal]) : itemStop.signal;
	let firstError: unknown;
	const results = await Promise.all(
		inputs.map(async (input): Promise<R | undefined> => {
			try {
				return await run(input);
			} catch (error) {
				firstError ??= error;
				itemStop.abort();
				return undefined;
			}
		}),
	);
	settings.signal = outer;
	return firstError === undefined ? { results } : { results, error: firstError };
}

/**
 * A node's execution, for any operation: every item is one request configuration. Every item is
 * read and checked before anything is sent; items then run in parallel within a shared, adaptive
 * concurrency bound; output keeps input order, then image order.
 * Returns [Result, Configuration]. Throws the first item's error unless the node continues on fail;
 * then a node-wide failure (credential address, Concurrency) is every item's error item.
 */
export async function runImageOperation(
	ctx: IExecuteFunctions,
	operation: ImageOperation,
): Promise<INodeExecutionData[][]> {
	const inputItems = ctx.getInputData();
	const configuration = inputItems.map((item, itemIndex) => ({ ...item, pairedItem: { item: itemIndex } }));
	if (inputItems.length === 0) return [[], configuration];

	const continueOnFail = ctx.continueOnFail();
	let endpoint: Endpoint;
	let concurrency: number;
	let mode: RequestMode;
	try {
		const authentication = ctx.getNodeParameter('authentication', 0, 'openAiImagesApi') as AuthenticationType;
		endpoint = await resolveEndpoint(ctx, authentication);
		concurrency = readConcurrency(ctx);
		mode = readRequestMode(ctx, endpoint);
	} catch (error) {
		// Node-wide (the credential's address, Concurrency): every item fails alike, nothing is sent.
		const nodeError = error instanceof NodeOperationError ? error : new NodeOperationError(ctx.getNode(), error as Error);
		if (!continueOnFail) throw nodeError;
		return [inputItems.map((_, itemIndex) => errorItem(itemIndex, nodeWideError(ctx, nodeError, itemIndex))), configuration];
	}
	if (mode === 'batch') return [await runBatch(ctx, operation, endpoint, continueOnFail), configuration];
	const plans = await planItems(ctx, inputItems.length, endpoint, continueOnFail, async (itemIndex, config, family): Promise<ItemPlan> => {
		const { modelInBody } = endpoint.route(operation.path, config.model);
		return { config, bodies: await operation.plan(ctx, itemIndex, config, family, modelInBody, endpoint) };
	});

	const cancel = ctx.getExecutionCancelSignal();
	// Stops new requests once the node is failing anyway (stop-on-error), or when the execution is cancelled.
	const stop = new AbortController();
	const signal = cancel ? AbortSignal.any([cancel, stop.signal]) : stop.signal;
	const limiter = new AdaptiveLimiter(concurrency, signal);

	const outcomes = plans.map(async (plan, itemIndex): Promise<ItemOutcome> => {
		if (plan instanceof NodeOperationError) return { items: [], error: plan };
		let outcome: ItemOutcome;
		try {
			outcome = await runItem(ctx, operation, itemIndex, plan, endpoint, limiter, signal);
		} catch (error) {
			throwIfAborted(cancel);
			outcome = { items: [], error: asNodeError(ctx, error, itemIndex) };
		}
		if (outcome.error && !continueOnFail) {
			stop.abort(outcome.error);
			throw outcome.error;
		}
		return outcome;
	});

	const settled = await Promise.all(outcomes);
	throwIfAborted(cancel);
	// An item's images that arrived before its error come first, then its error item.
	const results = settled.flatMap((outcome, itemIndex) => (outcome.error ? [...outcome.items, errorItem(itemIndex, outcome.error)] : outcome.items));
	return [results, configuration];
}
