import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeParameterResourceLocator,
} from 'n8n-workflow';

import {
	DEFAULT_CONCURRENCY,
	DEFAULT_MAX_RETRIES,
	DEFAULT_TIMEOUT_MS,
	MAX_CONCURRENCY,
	MAX_RETRIES,
	MAX_TIMEOUT_MS,
	imageOptions,
} from './description';
import { RATE_KEYS, type TokenRates } from './prices';

export type ResultFormat = 'images' | 'rawResponse';

/** The image parameters of one request, as the user set them (node names, not API names). */
export interface ImageOptions {
	n?: number;
	size?: string;
	quality?: string;
	style?: string;
	background?: string;
	outputFormat?: string;
	outputCompression?: number;
	moderation?: string;
	responseFormat?: string;
	user?: string;
	complexity?: string;
	safetyIdentifier?: string;
	frameCount?: number;
	frameDurationMs?: number;
	svgModel?: string;
	svgReasoningEffort?: string;
	/** Read by readStreamOption: true, or unset (false is the API's default and not sent). */
	stream?: boolean;
	partialImages?: number;
}

/** One input item's configuration, resolved from its expressions. */
export interface ItemConfig extends ImageOptions {
	model: string;
	prompt: string;
	resultFormat: ResultFormat;
	binaryPropertyName: string;
	fileName: string;
	extraBody: IDataObject;
	timeout: number;
	maxRetries: number;
	/** Retry requests whose outcome is unknown (timed out, connection lost after sending): they may be billed twice. */
	retryOnUnknownOutcome: boolean;
	/** Prices per 1M Tokens: the rates the cost estimate uses instead of the price table (cost.ts). */
	prices?: TokenRates;
}

/** Where each option lives in the request body, and how the panel names it. */
export const OPTION_FIELDS: Record<keyof ImageOptions, { apiName: string; label: string }> = {
	n: { apiName: 'n', label: 'Number of Images' },
	size: { apiName: 'size', label: 'Size' },
	quality: { apiName: 'quality', label: 'Quality' },
	style: { apiName: 'style', label: 'Style' },
	background: { apiName: 'background', label: 'Background' },
	outputFormat: { apiName: 'output_format', label: 'Output Format' },
	outputCompression: { apiName: 'output_compression', label: 'Output Compression' },
	moderation: { apiName: 'moderation', label: 'Moderation' },
	responseFormat: { apiName: 'response_format', label: 'Response Format' },
	user: { apiName: 'user', label: 'User (Older Field)' },
	stream: { apiName: 'stream', label: 'Stream' },
	partialImages: { apiName: 'partial_images', label: 'Partial Images' },
	complexity: { apiName: 'complexity', label: 'Complexity' },
	safetyIdentifier: { apiName: 'safety_identifier', label: 'Safety Identifier' },
	frameCount: { apiName: 'frame_count', label: 'GIF Frame Count' },
	frameDurationMs: { apiName: 'frame_duration_ms', label: 'GIF Frame Duration' },
	// Dotted API names are nested objects in the body: { svg: { model, reasoning: { effort } } }.
	svgModel: { apiName: 'svg.model', label: 'SVG Author Model' },
	svgReasoningEffort: { apiName: 'svg.reasoning.effort', label: 'SVG Reasoning Effort' },
};

const IMAGE_OPTION_KEYS = Object.keys(OPTION_FIELDS) as Array<keyof ImageOptions>;

/** A problem with one field of one item, found before anything is sent. */
export class ItemInputError extends NodeOperationError {}

function inputError(ctx: IExecuteFunctions, itemIndex: number, field: string, message: string) {
	const error = new ItemInputError(ctx.getNode(), `[item ${itemIndex}] ${field}: ${message}`, {
		itemIndex,
	});
	error.context.field = field; // for the continue modes' error item (errorItem.ts)
	return error;
}

function readModel(ctx: IExecuteFunctions, itemIndex: number): string {
	const raw = ctx.getNodeParameter('model', itemIndex) as INodeParameterResourceLocator | string;
	// The resource locator holds the ID in `value`; an expression may also give the ID directly.
	const value = typeof raw === 'object' && raw !== null && ('__rl' in raw || 'mode' in raw) ? raw.value : raw;
	const model = readText(ctx, itemIndex, 'Model', value)?.trim();
	if (!model) {
		throw inputError(ctx, itemIndex, 'Model', 'no model is set; choose one from the list or type its ID (e.g. gpt-image-2)');
	}
	return model;
}

function readExtraBody(ctx: IExecuteFunctions, itemIndex: number, raw: unknown): IDataObject {
	if (raw === undefined || raw === null || raw === '') return {};
	let value = raw;
	if (typeof raw === 'string') {
		try {
			value = JSON.parse(raw);
		} catch (error) {
			throw inputError(ctx, itemIndex, 'Extra Body Fields (JSON)', `${(error as Error).message}; expected a JSON object such as {"new_field": "value"}`);
		}
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw inputError(ctx, itemIndex, 'Extra Body Fields (JSON)', `expected a JSON object such as {"new_field": "value"}, got ${JSON.stringify(value)}`);
	}
	return value as IDataObject;
}

/** Options the panel shows as numbers: their values may still arrive as text from expressions. */
export const NUMERIC_OPTIONS = new Set(imageOptions.filter((option) => option.type === 'number').map((option) => option.name));

/** Yes/no options (readBoolean, in readStreamOption): every other non-numeric option is text (readText). */
const BOOLEAN_OPTIONS = new Set(imageOptions.filter((option) => option.type === 'boolean').map((option) => option.name));

export const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads one numeric option of one item as n8n hands it over: a number, or the text an expression
 * made of one ("2", " 80 "; decimal notation only). Returns undefined when the option is unset
 * (undefined, null, empty or blank text), else the number, to be sent as a JSON number.
 * Throws ItemInputError naming the item and the field when the value is not a number at all;
 * whether the number is in range is the caller's check.
 */
export function readNumber(ctx: IExecuteFunctions, itemIndex: number, label: string, value: unknown): number | undefined {
	if (value === undefined || value === null) return undefined;
	if (typeof value === 'number' && Number.isFinite(value)) return value;
	if (typeof value === 'string') {
		const text = value.trim();
		if (text === '') return undefined;
		if (NUMBER_TEXT.test(text)) return Number(text);
	}
	throw inputError(ctx, itemIndex, label, `${JSON.stringify(value)} is not a number; enter a number, or an expression that gives one (e.g. {{ $json.count }})`);
}

/**
 * Reads a yes/no option of one item as n8n hands it over: a boolean, or the text an expression
 * made of one ("true", " false "). Returns undefined when the option is unset (undefined, null,
 * empty or blank text). Throws ItemInputError naming the item and the field for anything else.
 */
export function readBoolean(ctx: IExecuteFunctions, itemIndex: number, label: string, value: unknown): boolean | undefined {
	if (value === undefined || value === null || typeof value === 'boolean') return value ?? undefined;
	const text = typeof value === 'string' ? value.trim() : undefined;
	if (text === '') return undefined;
	if (text === 'true' || text === 'false') return text === 'true';
	throw inputError(ctx, itemIndex, label, `${JSON.stringify(value)} is not accepted; expected true or false`);
}

/**
 * Reads one text parameter of one item as n8n hands it over (an expression may resolve to
 * anything): text as it is, a number or boolean as its text (a prompt of 42 is "42").
 * Returns undefined when unset (undefined or null). Throws ItemInputError naming the item and
 * the field for an object or array (which would otherwise be sent as "[object Object]" or its
 * items joined), before any request is sent.
 */
export function readText(ctx: IExecuteFunctions, itemIndex: number, label: string, value: unknown): string | undefined {
	if (value === undefined || value === null) return undefined;
	if (typeof value === 'string') return value;
	if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
	const shown = Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : JSON.stringify(String(value));
	const sample = typeof value === 'object' ? ` (${truncate(JSON.stringify(value))})` : '';
	throw inputError(ctx, itemIndex, label, `got ${shown}${sample}; expected text. If an expression gives it, point it at a text field (e.g. {{ $json.prompt.text }}) or turn it into text (e.g. {{ JSON.stringify($json.prompt) }})`);
}

const truncate = (text: string, max = 60) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Reads a whole-number option of one item (readNumber: numeric text too): `fallback` when unset.
 * Throws ItemInputError naming the item and the field when it is not a whole number from `min`
 * to `max`.
 */
export function boundedInteger(
	ctx: IExecuteFunctions,
	itemIndex: number,
	label: string,
	value: unknown,
	fallback: number,
	min: number,
	max: number,
): number {
	const number = readNumber(ctx, itemIndex, label, value);
	if (number === undefined) return fallback;
	if (!Number.isInteger(number) || number < min || number > max) {
		throw inputError(ctx, itemIndex, label, `${JSON.stringify(value)} is not accepted; expected a whole number from ${min} to ${max}`);
	}
	return number;
}

/** Reads one item's parameters (expressions resolve per item); throws ItemInputError. */
export function readItemConfig(ctx: IExecuteFunctions, itemIndex: number): ItemConfig {
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const config: ItemConfig = {
		model: readModel(ctx, itemIndex),
		prompt: readText(ctx, itemIndex, 'Prompt', ctx.getNodeParameter('prompt', itemIndex, '')) ?? '',
		resultFormat: readResultFormat(ctx, itemIndex),
		binaryPropertyName: (readText(ctx, itemIndex, 'Options › Put Output File in Field', options.binaryPropertyName) ?? 'data').trim(),
		fileName: (readText(ctx, itemIndex, 'Options › File Name', options.fileName) ?? '').trim(),
		extraBody: readExtraBody(ctx, itemIndex, options.extraBody),
		timeout: boundedInteger(ctx, itemIndex, 'Request Timeout', options.timeout, DEFAULT_TIMEOUT_MS, 1000, MAX_TIMEOUT_MS),
		maxRetries: boundedInteger(ctx, itemIndex, 'Max Retries', options.maxRetries, DEFAULT_MAX_RETRIES, 0, MAX_RETRIES),
		retryOnUnknownOutcome: readBoolean(ctx, itemIndex, 'Options › Retry When Outcome Is Unknown', options.retryOnUnknownOutcome) ?? false,
		prices: readPrices(ctx, itemIndex, options.prices),
	};
	if (!config.prices) delete config.prices;
	if (!config.binaryPropertyName) {
		throw inputError(ctx, itemIndex, 'Put Output File in Field', 'is empty; give the name of a binary field, e.g. data');
	}
	for (const key of IMAGE_OPTION_KEYS) {
		const value = options[key];
		if (value === undefined || value === null || value === '') continue;
		const label = `Options › ${OPTION_FIELDS[key].label}`;
		(config as unknown as IDataObject)[key] = NUMERIC_OPTIONS.has(key)
			? readNumber(ctx, itemIndex, label, value)
			: BOOLEAN_OPTIONS.has(key)
				? value
				: readText(ctx, itemIndex, label, value)?.trim();
	}
	readStreamOption(ctx, itemIndex, config);
	return config;
}

const PRICES_LABEL = 'Options › Prices per 1M Tokens';
const PRICES_EXAMPLE = '{"textInput": 5, "imageInput": 8, "imageOutput": 30}';

/**
 * Reads Prices per 1M Tokens of one item: a JSON object (text, or an object from an expression)
 * with exactly the keys textInput, imageInput and imageOutput, each a number of US dollars per
 * 1M tokens, 0 or more (numeric text too, as readNumber takes it). Returns undefined when unset
 * (undefined, null, blank text, or `{}`). Throws ItemInputError naming the item and the field
 * (and the key) for text that is not JSON, anything but an object, an unknown or missing key, or
 * a rate that is not a number >= 0; nothing has been sent yet.
 */
export function readPrices(ctx: IExecuteFunctions, itemIndex: number, raw: unknown): TokenRates | undefined {
	if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return undefined;
	let value = raw;
	if (typeof raw === 'string') {
		try {
			value = JSON.parse(raw);
		} catch (error) {
			throw inputError(ctx, itemIndex, PRICES_LABEL, `${(error as Error).message}; expected a JSON object such as ${PRICES_EXAMPLE}`);
		}
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw inputError(ctx, itemIndex, PRICES_LABEL, `expected a JSON object such as ${PRICES_EXAMPLE}, got ${truncate(JSON.stringify(value))}`);
	}
	const given = value as IDataObject;
	if (Object.keys(given).length === 0) return undefined;
	const unknown = Object.keys(given).filter((key) => !(RATE_KEYS as readonly string[]).includes(key));
	if (unknown.length > 0) {
		throw inputError(ctx, itemIndex, PRICES_LABEL, `unknown key ${unknown.map((key) => JSON.stringify(key)).join(', ')}; accepted: ${RATE_KEYS.join(', ')} (US dollars per 1M tokens)`);
	}
	const rates = {} as TokenRates;
	for (const key of RATE_KEYS) {
		const label = `${PRICES_LABEL} › ${key}`;
		const rate = readNumber(ctx, itemIndex, label, given[key]);
		if (rate === undefined) {
			throw inputError(ctx, itemIndex, label, `is missing; give all three rates in US dollars per 1M tokens, e.g. ${PRICES_EXAMPLE}`);
		}
		if (!Number.isFinite(rate) || rate < 0) {
			throw inputError(ctx, itemIndex, label, `${JSON.stringify(given[key])} is not accepted; expected US dollars per 1M tokens, 0 or more`);
		}
		rates[key] = rate;
	}
	return rates;
}

const RESULT_FORMATS: readonly ResultFormat[] = ['images', 'rawResponse'];

/** Result Format of one item (readText): images or rawResponse; throws ItemInputError for anything else. */
function readResultFormat(ctx: IExecuteFunctions, itemIndex: number): ResultFormat {
	const value = (readText(ctx, itemIndex, 'Result Format', ctx.getNodeParameter('resultFormat', itemIndex, 'images')) ?? 'images').trim();
	if (!RESULT_FORMATS.includes(value as ResultFormat)) {
		throw inputError(ctx, itemIndex, 'Result Format', `${JSON.stringify(value)} is not accepted; accepted: ${RESULT_FORMATS.join(', ')}`);
	}
	return value as ResultFormat;
}

/**
 * Stream as the request wants it: a boolean (readBoolean), kept only when true (false is the
 * API's default and not sent). Throws ItemInputError for anything else.
 * Partial Images is a numeric option (readNumber); its range and rules are checked in validate.ts.
 */
function readStreamOption(ctx: IExecuteFunctions, itemIndex: number, config: ItemConfig): void {
	if (readBoolean(ctx, itemIndex, `Options › ${OPTION_FIELDS.stream.label}`, config.stream) === true) config.stream = true;
	else delete config.stream;
}

/**
 * The node-wide concurrency (read once, from the first item). Throws NodeOperationError naming
 * the field, without an item (it holds for every item) when it is not a whole number from 1 to
 * MAX_CONCURRENCY.
 */
export function readConcurrency(ctx: IExecuteFunctions): number {
	const options = ctx.getNodeParameter('options', 0, {}) as IDataObject;
	try {
		return boundedInteger(ctx, 0, 'Options › Concurrency', options.concurrency, DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY);
	} catch (error) {
		// Not item 0's fault: the setting is the node's, and fails every item alike.
		const nodeError = new NodeOperationError(ctx.getNode(), (error as Error).message.replace(/^\[item 0\] /, ''));
		nodeError.context.field = (error as NodeOperationError).context?.field; // for the continue modes' error item
		throw nodeError;
	}
}

export { inputError };
