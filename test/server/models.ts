/**
 * The test server's own knowledge of the Images API: model table, model list, and request
 * validation per model family (written from the API's documentation and observed errors,
 * independently of the node's code).
 */
import type { OutputFormat } from './images';

export type Family = 'dall-e-2' | 'dall-e-3' | 'gpt-image-1' | 'gpt-image-2' | 'gpt-image-2.5' | 'gpt-image-2.6' | 'unknown';

export interface ApiErrorBody {
	message: string;
	type: string | null;
	param: string | null;
	code: string | null;
}

/** Models listed by GET /v1/models (mixed order, like the real list). `created` values are plausible. */
export const LISTED_MODELS: Array<{ id: string; created: number; owned_by: string }> = [
	{ id: 'gpt-5', created: 1754425777, owned_by: 'system' },
	{ id: 'dall-e-3', created: 1698785189, owned_by: 'system' },
	{ id: 'gpt-image-2-2026-04-21', created: 1776729600, owned_by: 'system' },
	{ id: 'text-embedding-3-small', created: 1705948997, owned_by: 'system' },
	{ id: 'gpt-image-1', created: 1745517030, owned_by: 'system' },
	{ id: 'whisper-1', created: 1677532384, owned_by: 'openai-internal' },
	{ id: 'gpt-image-1.5', created: 1765843200, owned_by: 'system' },
	{ id: 'dall-e-2', created: 1698798177, owned_by: 'system' },
	{ id: 'tts-1', created: 1681940951, owned_by: 'openai-internal' },
	{ id: 'gpt-image-2', created: 1776729600, owned_by: 'system' },
	{ id: 'gpt-image-1-mini', created: 1759708800, owned_by: 'system' },
];

const NON_IMAGE_MODELS = new Set(['gpt-5', 'text-embedding-3-small', 'whisper-1', 'tts-1']);

export function familyOf(model: string): Family | 'non-image' {
	if (NON_IMAGE_MODELS.has(model)) return 'non-image';
	if (model === 'dall-e-2') return 'dall-e-2';
	if (model === 'dall-e-3') return 'dall-e-3';
	if (['gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'chatgpt-image-latest'].includes(model)) return 'gpt-image-1';
	if (model === 'gpt-image-2' || model === 'gpt-image-2-2026-04-21') return 'gpt-image-2';
	if (/^gpt-image-2\.5-(flare|sunburst)(-2026-09-08)?$/.test(model)) return 'gpt-image-2.5';
	if (/^gpt-image-2\.6-(flare|sunburst)$/.test(model)) return 'gpt-image-2.6';
	return 'unknown';
}

export const isGptFamily = (f: Family) => f !== 'dall-e-2' && f !== 'dall-e-3';

interface FamilyRules {
	promptMax: number;
	nMax: number;
	/** Fixed size list, or 'flexible' (gpt-image-2 rule). */
	sizes: string[] | 'flexible';
	qualities: string[];
	formats: OutputFormat[];
}

const GPT1_SIZES = ['1024x1024', '1536x1024', '1024x1536', 'auto'];
const GPT_QUALITIES = ['low', 'medium', 'high', 'auto'];

const RULES: Record<Exclude<Family, 'unknown'>, FamilyRules> = {
	'dall-e-2': { promptMax: 1000, nMax: 10, sizes: ['256x256', '512x512', '1024x1024'], qualities: ['standard', 'auto'], formats: ['png'] },
	'dall-e-3': { promptMax: 4000, nMax: 1, sizes: ['1024x1024', '1792x1024', '1024x1792'], qualities: ['standard', 'hd', 'auto'], formats: ['png'] },
	'gpt-image-1': { promptMax: 32000, nMax: 10, sizes: GPT1_SIZES, qualities: GPT_QUALITIES, formats: ['png', 'jpeg', 'webp'] },
	'gpt-image-2': { promptMax: 32000, nMax: 10, sizes: 'flexible', qualities: GPT_QUALITIES, formats: ['png', 'jpeg', 'webp'] },
	'gpt-image-2.5': { promptMax: 32000, nMax: 10, sizes: 'flexible', qualities: [...GPT_QUALITIES, 'xhigh', 'max'], formats: ['png', 'jpeg', 'webp'] },
	// openai 7.59.0 names flexible sizes and xhigh/max for 2 and 2.5 only; 2.6 adds gif and svg.
	'gpt-image-2.6': {
		promptMax: 32000,
		nMax: 10,
		sizes: GPT1_SIZES,
		qualities: GPT_QUALITIES,
		formats: ['png', 'jpeg', 'webp', 'gif', 'svg'],
	},
};

const ALL_FIELDS = new Set([
	'model', 'prompt', 'n', 'size', 'quality', 'response_format', 'style', 'user',
	'output_format', 'output_compression', 'background', 'moderation', 'stream', 'partial_images',
	'complexity', 'safety_identifier', 'frame_count', 'frame_duration_ms', 'svg',
]);
const GPT_ONLY_FIELDS = [
	'output_format', 'output_compression', 'background', 'moderation', 'stream', 'partial_images',
	'complexity', 'frame_count', 'frame_duration_ms', 'svg',
];
const SVG_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'];

export interface ValidatedRequest {
	model: string;
	family: Family;
	gpt: boolean;
	prompt: string;
	n: number;
	width: number;
	height: number;
	/** Size as reported in the response ("auto" resolved). */
	size: string;
	/** Quality as reported in the response ("auto" resolved). */
	quality: string;
	background: 'opaque' | 'transparent';
	outputFormat: OutputFormat;
	compression?: number;
	responseFormat: 'url' | 'b64_json';
	style?: string;
	stream: boolean;
	partialImages: number;
	/** GIF frames (default 9) and delay per frame in ms, rounded to 10 (default 200). */
	frameCount?: number;
	frameDurationMs?: number;
	/** The SVG author model and effort (`svg` in the request). */
	svg?: { model: string; effort?: string };
	/** The effective safety identifier: a non-empty safety_identifier, else user. */
	safetyIdentifier?: string;
}

export type Validation = { ok: true; req: ValidatedRequest } | { ok: false; status: number; error: ApiErrorBody };

export interface ValidateOptions {
	/** Azure OpenAI: no webp, quality defaults to high. */
	azure?: boolean;
	retiredModels?: Record<string, string>;
	/** Model id to validate against (Azure: the deployment's model); default body.model. */
	model?: string;
}

type Refusal = Extract<Validation, { ok: false }>;

const invalid = (message: string, param: string | null, code: string | null = 'invalid_value', status = 400): Refusal => ({
	ok: false,
	status,
	error: { message, type: 'invalid_request_error', param, code },
});

/** "'a', 'b', and 'c'" like OpenAI's messages. */
export function listValues(values: string[]): string {
	const q = values.map((v) => `'${v}'`);
	if (q.length <= 1) return q.join('');
	if (q.length === 2) return `${q[0]} and ${q[1]}`;
	return `${q.slice(0, -1).join(', ')}, and ${q[q.length - 1]}`;
}

function typeName(v: unknown): string {
	if (v === null) return 'null';
	if (Array.isArray(v)) return 'an array';
	if (typeof v === 'object') return 'an object';
	if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal';
	if (typeof v === 'boolean') return 'a boolean';
	return 'a string';
}

const invalidType = (param: string, expected: string, v: unknown) =>
	invalid(`Invalid type for '${param}': expected ${expected}, but got ${typeName(v)} instead.`, param, 'invalid_type');

export const modelNotFound = (model: string, message?: string): Validation =>
	invalid(message || `The model \`${model}\` does not exist or you do not have access to it.`, null, 'model_not_found', 404);

/** Flexible-size rule of gpt-image-2 and later. Returns an error message or undefined. */
export function checkFlexibleSize(size: string): string | undefined {
	const m = /^(\d+)x(\d+)$/.exec(size);
	if (!m) return `Invalid size '${size}'. Expected WIDTHxHEIGHT, for example '1824x1024', or 'auto'.`;
	const w = Number(m[1]);
	const h = Number(m[2]);
	if (w % 16 !== 0 || h % 16 !== 0) return `Invalid size '${size}'. Width and height must both be divisible by 16.`;
	if (Math.max(w, h) > 3840) return `Invalid size '${size}'. The longest edge must be at most 3840 pixels.`;
	if (Math.max(w, h) > 3 * Math.min(w, h)) return `Invalid size '${size}'. The aspect ratio must be between 1:3 and 3:1.`;
	if (w * h < 655_360 || w * h > 8_294_400)
		return `Invalid size '${size}'. The total number of pixels must be between 655360 and 8294400, but got ${w * h}.`;
	return undefined;
}

function parseSize(size: string): { width: number; height: number } {
	const m = /^(\d+)x(\d+)$/.exec(size);
	if (!m || size === 'auto') return { width: 1024, height: 1024 };
	return { width: Number(m[1]), height: Number(m[2]) };
}

export function validateGeneration(body: unknown, opts: ValidateOptions = {}): Validation {
	if (typeof body !== 'object' || body === null || Array.isArray(body))
		return invalid(`Invalid type for request body: expected an object, but got ${typeName(body)} instead.`, null, 'invalid_type');
	const b = body as Record<string, unknown>;

	// Model
	const modelField = opts.model ?? b.model;
	if (modelField === undefined || modelField === null || modelField === '')
		return invalid('you must provide a model parameter', null, null);
	if (typeof modelField !== 'string') return invalidType('model', 'a string', modelField);
	const model = modelField;
	if (opts.retiredModels && Object.prototype.hasOwnProperty.call(opts.retiredModels, model))
		return modelNotFound(model, opts.retiredModels[model]);
	const fam = familyOf(model);
	if (fam === 'non-image')
		return invalid(`Invalid value: '${model}'. The model '${model}' does not support image generation.`, 'model');

	// Prompt (universal)
	const prompt = b.prompt;
	if (prompt === undefined || prompt === null) return invalid("Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
	if (typeof prompt !== 'string') return invalidType('prompt', 'a string', prompt);
	if (prompt.length === 0)
		return invalid("Invalid 'prompt': empty string. Expected a string with minimum length 1, but got an empty string instead.", 'prompt', 'empty_string');

	if (fam === 'unknown') return { ok: true, req: lenient(model, prompt, b, opts) };

	const rules = RULES[fam];
	const gpt = isGptFamily(fam);

	// Unknown parameters (for this family)
	for (const key of Object.keys(b)) {
		const unknownHere =
			!ALL_FIELDS.has(key) ||
			(gpt && (key === 'response_format' || key === 'style')) ||
			(!gpt && GPT_ONLY_FIELDS.includes(key)) ||
			(fam === 'dall-e-2' && key === 'style');
		if (unknownHere) return invalid(`Unknown parameter: '${key}'.`, key, 'unknown_parameter');
	}

	if (prompt.length > rules.promptMax)
		return invalid(
			`Invalid 'prompt': string too long. Expected a string with maximum length ${rules.promptMax}, but got a string with length ${prompt.length} instead.`,
			'prompt',
			'string_above_max_length',
		);

	// n
	let n = 1;
	if (b.n !== undefined && b.n !== null) {
		if (typeof b.n !== 'number' || !Number.isInteger(b.n)) return invalidType('n', 'an integer', b.n);
		n = b.n;
		if (n < 1) return invalid(`Invalid 'n': integer below minimum value. Expected a value >= 1, but got ${n} instead.`, 'n', 'integer_below_min_value');
		if (fam === 'dall-e-3' && n !== 1) return invalid('You must provide n=1 for this model.', 'n');
		if (n > rules.nMax)
			return invalid(`Invalid 'n': integer above maximum value. Expected a value <= ${rules.nMax}, but got ${n} instead.`, 'n', 'integer_above_max_value');
	}

	// size
	let size = fam === 'dall-e-2' || fam === 'dall-e-3' ? '1024x1024' : 'auto';
	if (b.size !== undefined && b.size !== null) {
		if (typeof b.size !== 'string') return invalidType('size', 'a string', b.size);
		size = b.size;
		if (rules.sizes === 'flexible') {
			if (size !== 'auto') {
				const err = checkFlexibleSize(size);
				if (err) return invalid(err, 'size');
			}
		} else if (!rules.sizes.includes(size)) {
			return invalid(`Invalid value: '${size}'. Supported values are: ${listValues(rules.sizes)}.`, 'size');
		}
	}
	const { width, height } = parseSize(size);

	// quality
	let quality = 'auto';
	if (b.quality !== undefined && b.quality !== null) {
		if (typeof b.quality !== 'string') return invalidType('quality', 'a string', b.quality);
		if (!rules.qualities.includes(b.quality))
			return invalid(`Invalid value: '${b.quality}'. Supported values are: ${listValues(rules.qualities)}.`, 'quality');
		quality = b.quality;
	}
	if (quality === 'auto') quality = !gpt ? 'standard' : opts.azure ? 'high' : 'medium';

	// style (dall-e-3 only; unknown elsewhere, rejected above)
	let style: string | undefined;
	if (b.style !== undefined && b.style !== null) {
		if (typeof b.style !== 'string') return invalidType('style', 'a string', b.style);
		if (!['vivid', 'natural'].includes(b.style))
			return invalid(`Invalid value: '${b.style}'. Supported values are: 'vivid' and 'natural'.`, 'style');
		style = b.style;
	}

	// response_format (DALL-E only)
	let responseFormat: 'url' | 'b64_json' = gpt ? 'b64_json' : 'url';
	if (b.response_format !== undefined && b.response_format !== null) {
		if (typeof b.response_format !== 'string') return invalidType('response_format', 'a string', b.response_format);
		if (b.response_format !== 'url' && b.response_format !== 'b64_json')
			return invalid(`Invalid value: '${b.response_format}'. Supported values are: 'url' and 'b64_json'.`, 'response_format');
		responseFormat = b.response_format;
	}

	// GPT image options
	let outputFormat: OutputFormat = 'png';
	if (b.output_format !== undefined && b.output_format !== null) {
		if (typeof b.output_format !== 'string') return invalidType('output_format', 'a string', b.output_format);
		const formats = opts.azure ? rules.formats.filter((f) => f === 'png' || f === 'jpeg') : rules.formats;
		if (!(formats as string[]).includes(b.output_format))
			return invalid(`Invalid value: '${b.output_format}'. Supported values are: ${listValues(formats)}.`, 'output_format');
		outputFormat = b.output_format as OutputFormat;
	}
	let compression: number | undefined;
	if (b.output_compression !== undefined && b.output_compression !== null) {
		if (typeof b.output_compression !== 'number' || !Number.isInteger(b.output_compression))
			return invalidType('output_compression', 'an integer', b.output_compression);
		compression = b.output_compression;
		if (compression < 0)
			return invalid(
				`Invalid 'output_compression': integer below minimum value. Expected a value >= 0, but got ${compression} instead.`,
				'output_compression',
				'integer_below_min_value',
			);
		if (compression > 100)
			return invalid(
				`Invalid 'output_compression': integer above maximum value. Expected a value <= 100, but got ${compression} instead.`,
				'output_compression',
				'integer_above_max_value',
			);
		if (outputFormat !== 'jpeg' && outputFormat !== 'webp' && compression < 100)
			return invalid(
				`Compression less than 100 is not supported for ${outputFormat.toUpperCase()} output format.`,
				'output_compression',
			);
	}
	let background: 'opaque' | 'transparent' = 'opaque';
	if (b.background !== undefined && b.background !== null) {
		if (typeof b.background !== 'string') return invalidType('background', 'a string', b.background);
		if (!['transparent', 'opaque', 'auto'].includes(b.background))
			return invalid(`Invalid value: '${b.background}'. Supported values are: 'transparent', 'opaque', and 'auto'.`, 'background');
		if (b.background === 'transparent') {
			if (outputFormat === 'jpeg')
				return invalid("Transparent background is not supported for output format 'jpeg'. Use 'png' or 'webp'.", 'background');
			background = 'transparent';
		}
	}
	if (b.moderation !== undefined && b.moderation !== null) {
		if (typeof b.moderation !== 'string') return invalidType('moderation', 'a string', b.moderation);
		if (!['low', 'auto'].includes(b.moderation))
			return invalid(`Invalid value: '${b.moderation}'. Supported values are: 'low' and 'auto'.`, 'moderation');
	}
	let stream = false;
	if (b.stream !== undefined && b.stream !== null) {
		if (typeof b.stream !== 'boolean') return invalidType('stream', 'a boolean', b.stream);
		stream = b.stream;
	}
	let partialImages = 0;
	if (b.partial_images !== undefined && b.partial_images !== null) {
		if (typeof b.partial_images !== 'number' || !Number.isInteger(b.partial_images))
			return invalidType('partial_images', 'an integer', b.partial_images);
		if (b.partial_images < 0 || b.partial_images > 3)
			return invalid(
				`Invalid 'partial_images': integer ${b.partial_images < 0 ? 'below minimum' : 'above maximum'} value. Expected a value ${b.partial_images < 0 ? '>= 0' : '<= 3'}, but got ${b.partial_images} instead.`,
				'partial_images',
				b.partial_images < 0 ? 'integer_below_min_value' : 'integer_above_max_value',
			);
		partialImages = b.partial_images;
	}
	if (stream && (outputFormat === 'gif' || outputFormat === 'svg'))
		return invalid(`Streaming is not supported for output format '${outputFormat}'.`, 'stream', 'unsupported_value');
	if (b.user !== undefined && b.user !== null && typeof b.user !== 'string') return invalidType('user', 'a string', b.user);
	if (b.safety_identifier !== undefined && b.safety_identifier !== null && typeof b.safety_identifier !== 'string')
		return invalidType('safety_identifier', 'a string', b.safety_identifier);
	if (b.complexity !== undefined && b.complexity !== null) {
		if (typeof b.complexity !== 'string') return invalidType('complexity', 'a string', b.complexity);
		if (!['low', 'medium', 'high'].includes(b.complexity))
			return invalid(`Invalid value: '${b.complexity}'. Supported values are: 'low', 'medium', and 'high'.`, 'complexity');
	}
	const formatRules = checkFormatFields(b, outputFormat, n, partialImages, compression);
	if (!formatRules.ok) return formatRules;

	return {
		ok: true,
		req: {
			model,
			family: fam,
			gpt,
			prompt,
			n,
			width,
			height,
			size: `${width}x${height}`,
			quality,
			background,
			outputFormat,
			compression,
			responseFormat,
			style,
			stream,
			partialImages,
			...formatRules.fields,
			safetyIdentifier: effectiveSafetyIdentifier(b),
		},
	};
}

/** A non-empty safety_identifier wins over the deprecated user (openai 7.59.0). */
function effectiveSafetyIdentifier(b: Record<string, unknown>): string | undefined {
	if (typeof b.safety_identifier === 'string' && b.safety_identifier !== '') return b.safety_identifier;
	return typeof b.user === 'string' && b.user !== '' ? b.user : undefined;
}

type FormatFields = Pick<ValidatedRequest, 'frameCount' | 'frameDurationMs' | 'svg'>;

/**
 * GIF and SVG fields (openai 7.59.0): frame_count 2-16 and frame_duration_ms only with gif; svg
 * only with svg, svg.model a string, svg.reasoning.effort one of seven; gif and svg take no
 * streaming, partial images or output compression; svg needs n=1.
 */
function checkFormatFields(
	b: Record<string, unknown>,
	outputFormat: OutputFormat,
	n: number,
	partialImages: number,
	compression: number | undefined,
): { ok: true; fields: FormatFields } | Refusal {
	const onlyWith = (param: string, format: OutputFormat) =>
		invalid(`'${param}' is only supported with output_format='${format}'.`, param, 'unsupported_parameter');
	const fields: FormatFields = {};
	if (b.frame_count !== undefined && b.frame_count !== null) {
		if (typeof b.frame_count !== 'number' || !Number.isInteger(b.frame_count)) return invalidType('frame_count', 'an integer', b.frame_count);
		if (outputFormat !== 'gif') return onlyWith('frame_count', 'gif');
		if (b.frame_count < 2 || b.frame_count > 16)
			return invalid(`Invalid 'frame_count': expected a value between 2 and 16, but got ${b.frame_count} instead.`, 'frame_count');
		fields.frameCount = b.frame_count;
	}
	if (b.frame_duration_ms !== undefined && b.frame_duration_ms !== null) {
		if (typeof b.frame_duration_ms !== 'number') return invalidType('frame_duration_ms', 'a number', b.frame_duration_ms);
		if (outputFormat !== 'gif') return onlyWith('frame_duration_ms', 'gif');
		if (b.frame_duration_ms < 0)
			return invalid(`Invalid 'frame_duration_ms': expected a value >= 0, but got ${b.frame_duration_ms} instead.`, 'frame_duration_ms');
		fields.frameDurationMs = Math.min(655_350, Math.round(b.frame_duration_ms / 10) * 10);
	}
	if (b.svg !== undefined && b.svg !== null) {
		if (typeof b.svg !== 'object' || Array.isArray(b.svg)) return invalidType('svg', 'an object', b.svg);
		if (outputFormat !== 'svg') return onlyWith('svg', 'svg');
		const svg = b.svg as Record<string, unknown>;
		if (typeof svg.model !== 'string' || svg.model === '') return invalid("Missing required parameter: 'svg.model'.", 'svg.model', 'missing_required_parameter');
		const reasoning = svg.reasoning as Record<string, unknown> | null | undefined;
		const effort = reasoning?.effort;
		if (effort !== undefined && effort !== null && (typeof effort !== 'string' || !SVG_EFFORTS.includes(effort)))
			return invalid(`Invalid value: '${String(effort)}'. Supported values are: ${listValues(SVG_EFFORTS)}.`, 'svg.reasoning.effort');
		fields.svg = { model: svg.model, effort: typeof effort === 'string' ? effort : undefined };
	}
	if (outputFormat === 'gif' || outputFormat === 'svg') {
		// (stream with gif or svg is refused above, with the streaming checks)
		const name = outputFormat.toUpperCase();
		if (partialImages > 0) return invalid(`${name} output does not support partial images.`, 'partial_images');
		if (compression !== undefined) return invalid(`${name} output does not support output_compression.`, 'output_compression');
	}
	if (outputFormat === 'svg' && n !== 1) return invalid('SVG output requires n=1.', 'n');
	if (outputFormat === 'gif') fields.frameCount ??= 9;
	if (outputFormat === 'gif') fields.frameDurationMs ??= 200;
	return { ok: true, fields };
}

/** Unknown model ids pass through: universal rules only, answered GPT-image style. */
function lenient(model: string, prompt: string, b: Record<string, unknown>, opts: ValidateOptions): ValidatedRequest {
	const n = typeof b.n === 'number' && Number.isInteger(b.n) && b.n >= 1 && b.n <= 10 ? b.n : 1;
	const size = typeof b.size === 'string' && /^\d+x\d+$/.test(b.size) ? b.size : 'auto';
	const { width, height } = parseSize(size);
	const sane = width >= 16 && height >= 16 && width * height <= 8_294_400;
	const fmt = b.output_format;
	const outputFormat: OutputFormat = fmt === 'jpeg' || fmt === 'webp' ? fmt : 'png';
	const quality = typeof b.quality === 'string' && b.quality !== 'auto' ? b.quality : opts.azure ? 'high' : 'medium';
	return {
		model,
		family: 'unknown',
		gpt: true,
		prompt,
		n,
		width: sane ? width : 1024,
		height: sane ? height : 1024,
		size: sane ? `${width}x${height}` : '1024x1024',
		quality,
		background: b.background === 'transparent' && outputFormat !== 'jpeg' ? 'transparent' : 'opaque',
		outputFormat,
		compression: typeof b.output_compression === 'number' ? b.output_compression : undefined,
		responseFormat: 'b64_json',
		stream: b.stream === true,
		partialImages: typeof b.partial_images === 'number' ? Math.max(0, Math.min(3, b.partial_images)) : 0,
		safetyIdentifier: effectiveSafetyIdentifier(b),
	};
}

/** Rough token accounting (gpt-image-1 price table scaled by pixels). */
export function usageFor(req: ValidatedRequest): {
	input_tokens: number;
	input_tokens_details: { text_tokens: number; image_tokens: number };
	output_tokens: number;
	total_tokens: number;
} {
	const text = Math.max(1, Math.ceil(req.prompt.length / 4));
	const perMegapixel: Record<string, number> = { low: 272, medium: 1056, high: 4160, xhigh: 6240, max: 8320 };
	const base = perMegapixel[req.quality] ?? 1056;
	const output = Math.ceil((base * req.width * req.height) / (1024 * 1024)) * req.n;
	return {
		input_tokens: text,
		input_tokens_details: { text_tokens: text, image_tokens: 0 },
		output_tokens: output,
		total_tokens: text + output,
	};
}

/** SVG authoring tokens (`svg_usage`), separate from the image's usage; rough, by prompt length and effort. */
export function svgUsageFor(req: ValidatedRequest): { input_tokens: number; output_tokens: number; reasoning_tokens: number; total_tokens: number; model: string } {
	const input = Math.max(1, Math.ceil(req.prompt.length / 4)) + 500;
	const reasoning = { none: 0, minimal: 64, low: 256, medium: 1024, high: 4096, xhigh: 8192, max: 16384 }[req.svg?.effort ?? 'medium'] ?? 1024;
	const output = 1200 + reasoning;
	return { input_tokens: input, output_tokens: output, reasoning_tokens: reasoning, total_tokens: input + output, model: req.svg?.model ?? 'svg-author' };
}
