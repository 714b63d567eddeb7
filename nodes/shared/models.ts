/**
 * What the node knows about image models, as data: one row per model family.
 * Adding a model is adding a row (see ../../shared/notes/images-api.md for the facts).
 * Model ids that match no row pass through with only the universal checks.
 */
import { nowDate } from './clock';

/** The node's option names (keys of the `options` collection) that depend on the model. */
export type ModelOption =
	| 'style'
	| 'background'
	| 'outputFormat'
	| 'outputCompression'
	| 'moderation'
	| 'responseFormat'
	| 'complexity'
	| 'stream';

/** gpt-image-2's size rule: any WxH within these bounds, or `auto`. */
export interface SizeRule {
	multipleOf: number;
	maxEdge: number;
	maxAspectRatio: number;
	minPixels: number;
	maxPixels: number;
}

export interface ModelFamily {
	/** Shown in messages and in the model list. */
	name: string;
	/** The model ids of the family. */
	ids: readonly string[];
	/** Whether dated snapshots (`<id>-2026-04-21`) belong to it too. */
	snapshots: boolean;
	/** Set when the provider has shut the family down (or announced the date). */
	retirement?: { date: string; replacement: string };
	promptMaxLength: number;
	/** Most images one request may ask for; the node splits larger `n` into several requests. */
	maxImagesPerRequest: number;
	maxImages: number;
	/** Accepted sizes: a list, or a rule for WxH (with `auto`). */
	sizes: readonly string[] | SizeRule;
	qualities: readonly string[];
	styles?: readonly string[];
	outputFormats?: readonly string[];
	/** `response_format` values (DALL-E); GPT image models always answer b64_json. */
	responseFormats?: readonly string[];
	options: readonly ModelOption[];
	/** What the response carries, for the documentation and the list. */
	returns: { revisedPrompt: boolean; usage: boolean };
	/** What POST /images/edits takes from the family; absent when the family cannot edit. */
	edits?: EditCapabilities;
	/**
	 * Set for DALL-E: never edits by reference (image URLs, file ids). OpenAI's openapi spec
	 * (openai/openai-openapi, 2026-08, EditImageBodyJsonParam): "JSON edits support GPT image
	 * models only; DALL-E edits require multipart".
	 */
	binaryEditsOnly?: boolean;
}

/** Edits for one family (openai 7.59.0 `ImageEditParams`). */
export interface EditCapabilities {
	/** `input_fidelity` values by model id (its dated snapshots follow it); ids not listed do not take it. */
	inputFidelity?: Readonly<Record<string, readonly string[]>>;
	/** Whether `markup` (a transparent PNG drawn over the first image) is taken. */
	markup?: boolean;
}

/**
 * Limits of POST /images/edits for every model (openai 7.59.0 `ImageEditParams`): up to 16
 * images, each a png, webp or jpg under 50 MB; a mask is a PNG under 4 MB. "MB" is read as MiB.
 */
export const EDIT_LIMITS = {
	maxImages: 16,
	maxImageBytes: 50 * 1024 * 1024,
	maxMaskBytes: 4 * 1024 * 1024,
	imageTypes: ['png', 'webp', 'jpeg'],
	maskTypes: ['png'],
	markupTypes: ['png'],
} as const;

const GPT_IMAGE_OPTIONS: readonly ModelOption[] = [
	'background',
	'outputFormat',
	'outputCompression',
	'moderation',
	'complexity',
	'stream',
];
const GPT_IMAGE_1_SIZES = ['auto', '1024x1024', '1536x1024', '1024x1536'] as const;
const GPT_IMAGE_QUALITIES = ['auto', 'low', 'medium', 'high'] as const;
const GPT_IMAGE_FORMATS = ['png', 'jpeg', 'webp'] as const;

/** `complexity` values (planning effort, apart from `quality`); openai 7.59.0 images.d.ts. */
export const COMPLEXITIES = ['low', 'medium', 'high'] as const;
/** `svg.reasoning.effort` values (the SVG author's reasoning); openai 7.59.0 images.d.ts. */
export const SVG_REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;
/** `frame_count` bounds for GIF output (the API's default is 9). */
export const FRAME_COUNT = { min: 2, max: 16 } as const;
/** `frame_duration_ms`: the API rounds to 10 ms and caps the encoded delay at this (default 200). */
export const MAX_FRAME_DURATION_MS = 655_350;

/** Node options that only apply with one output format. */
export type FormatOption = 'frameCount' | 'frameDurationMs' | 'svgModel' | 'svgReasoningEffort';

/**
 * What an output format allows, whatever the model (openai 7.59.0 images.d.ts: "GIF output does
 * not support streaming, partial images, masks, or custom output compression"; "SVG generation
 * requires n=1 and does not support streaming, partial images, prompt_rewriter, or
 * output_compression").
 */
export interface OutputFormatRule {
	/** `output_compression` is taken (jpeg and webp only). */
	compression: boolean;
	/** `stream` and `partial_images` are taken. */
	streaming: boolean;
	/** `mask` is taken (edits). */
	mask: boolean;
	/** Most images one request may make (svg: 1; the node splits larger `n`). */
	maxImagesPerRequest?: number;
	/** The node options that apply only with this format. */
	options: readonly FormatOption[];
}

export const OUTPUT_FORMAT_RULES: Readonly<Record<string, OutputFormatRule>> = {
	png: { compression: false, streaming: true, mask: true, options: [] },
	jpeg: { compression: true, streaming: true, mask: true, options: [] },
	webp: { compression: true, streaming: true, mask: true, options: [] },
	gif: { compression: false, streaming: false, mask: false, options: ['frameCount', 'frameDurationMs'] },
	svg: { compression: false, streaming: false, mask: true, maxImagesPerRequest: 1, options: ['svgModel', 'svgReasoningEffort'] },
};

/** The output formats a format-only option applies to (e.g. frameCount: gif). */
export function formatsTaking(option: FormatOption): string[] {
	return Object.keys(OUTPUT_FORMAT_RULES).filter((format) => OUTPUT_FORMAT_RULES[format].options.includes(option));
}
/** Output formats that take no `stream` or `partial_images`, whatever the model (gif, svg). */
export const FORMATS_WITHOUT_STREAMING: readonly string[] = Object.keys(OUTPUT_FORMAT_RULES).filter(
	(format) => !OUTPUT_FORMAT_RULES[format].streaming,
);

/** `partial_images` bounds (openai 7.59.0 images.d.ts: "Value must be between 0 and 3"). */
export const PARTIAL_IMAGES = { min: 0, max: 3 } as const;

export const GPT_IMAGE_2_SIZE_RULE: SizeRule = {
	multipleOf: 16,
	maxEdge: 3840,
	maxAspectRatio: 3,
	minPixels: 655_360,
	maxPixels: 8_294_400,
};

const gptImage = {
	promptMaxLength: 32000,
	maxImagesPerRequest: 10,
	maxImages: 10,
	outputFormats: GPT_IMAGE_FORMATS,
	options: GPT_IMAGE_OPTIONS,
	returns: { revisedPrompt: false, usage: true },
} as const;

export const MODEL_FAMILIES: readonly ModelFamily[] = [
	{
		name: 'gpt-image-2',
		ids: ['gpt-image-2'],
		snapshots: true,
		...gptImage,
		sizes: GPT_IMAGE_2_SIZE_RULE,
		qualities: GPT_IMAGE_QUALITIES,
		edits: {},
	},
	{
		name: 'gpt-image-2.5',
		ids: ['gpt-image-2.5-flare', 'gpt-image-2.5-sunburst'],
		snapshots: true,
		...gptImage,
		sizes: GPT_IMAGE_2_SIZE_RULE,
		qualities: [...GPT_IMAGE_QUALITIES, 'xhigh', 'max'],
		// The reference names GPT Image 2.5 alone for markup.
		edits: { markup: true },
	},
	{
		// The reference names arbitrary WxH sizes and xhigh/max quality for 2 and 2.5 only: for
		// 2.6 it documents the standard GPT image sizes and qualities, plus gif and svg output.
		name: 'gpt-image-2.6',
		ids: ['gpt-image-2.6-flare', 'gpt-image-2.6-sunburst'],
		snapshots: true,
		...gptImage,
		sizes: GPT_IMAGE_1_SIZES,
		qualities: GPT_IMAGE_QUALITIES,
		outputFormats: [...GPT_IMAGE_FORMATS, 'gif', 'svg'],
		edits: {},
	},
	{
		name: 'gpt-image-1',
		ids: ['gpt-image-1'],
		snapshots: true,
		retirement: { date: '2026-10-23', replacement: 'gpt-image-2.5-sunburst or gpt-image-2.5-flare' },
		...gptImage,
		sizes: GPT_IMAGE_1_SIZES,
		qualities: GPT_IMAGE_QUALITIES,
		edits: {},
	},
	{
		name: 'gpt-image-1-mini / gpt-image-1.5 / chatgpt-image-latest',
		ids: ['gpt-image-1-mini', 'gpt-image-1.5', 'chatgpt-image-latest'],
		snapshots: true,
		retirement: { date: '2026-12-01', replacement: 'gpt-image-2' },
		...gptImage,
		sizes: GPT_IMAGE_1_SIZES,
		qualities: GPT_IMAGE_QUALITIES,
		edits: { inputFidelity: { 'gpt-image-1.5': ['high', 'low'], 'gpt-image-1-mini': ['low'] } },
	},
	{
		name: 'dall-e-3',
		ids: ['dall-e-3'],
		snapshots: false,
		retirement: { date: '2026-05-12', replacement: 'gpt-image-2' },
		promptMaxLength: 4000,
		maxImagesPerRequest: 1,
		maxImages: 10,
		sizes: ['1024x1024', '1792x1024', '1024x1792'],
		qualities: ['standard', 'hd'],
		styles: ['vivid', 'natural'],
		responseFormats: ['url', 'b64_json'],
		options: ['style', 'responseFormat'],
		returns: { revisedPrompt: true, usage: false },
		binaryEditsOnly: true,
	},
	{
		name: 'dall-e-2',
		ids: ['dall-e-2'],
		snapshots: false,
		retirement: { date: '2026-05-12', replacement: 'gpt-image-2' },
		promptMaxLength: 1000,
		maxImagesPerRequest: 10,
		maxImages: 10,
		sizes: ['256x256', '512x512', '1024x1024'],
		qualities: ['standard'],
		responseFormats: ['url', 'b64_json'],
		options: ['responseFormat'],
		returns: { revisedPrompt: false, usage: false },
		binaryEditsOnly: true,
	},
];

const SNAPSHOT_SUFFIX = /-\d{4}-\d{2}-\d{2}$/;

/** The family a model id belongs to, or undefined for ids the node does not know. */
export function findModelFamily(modelId: string): ModelFamily | undefined {
	const base = modelId.replace(SNAPSHOT_SUFFIX, '');
	return MODEL_FAMILIES.find(
		(family) => family.ids.includes(modelId) || (family.snapshots && base !== modelId && family.ids.includes(base)),
	);
}

/** The input_fidelity values a model id takes for edits (none: an empty list). */
export function inputFidelitiesOf(modelId: string, family: ModelFamily | undefined): readonly string[] {
	const table = family?.edits?.inputFidelity ?? {};
	return table[modelId] ?? table[modelId.replace(SNAPSHOT_SUFFIX, '')] ?? [];
}

/**
 * Whether the family's retirement date has come on `now` (default: the package clock, clock.ts),
 * compared by UTC calendar day: retired from 00:00 UTC of the date on. A date still ahead is
 * only announced. Source of the dates: the model table (the provider's deprecations page).
 */
export function isRetired(family: ModelFamily | undefined, now: Date = nowDate()): boolean {
	return Boolean(family?.retirement && family.retirement.date <= now.toISOString().slice(0, 10));
}

/** True for ids that look like image models, known or not (for sorting the model list). */
export function isImageModelId(modelId: string): boolean {
	return findModelFamily(modelId) !== undefined || /image|dall-e/i.test(modelId);
}

/** The families for which an option does not apply: the settings panel hides it for them. */
export function familiesWithout(option: ModelOption): ModelFamily[] {
	return MODEL_FAMILIES.filter((family) => !family.options.includes(option));
}

export function isSizeRule(sizes: ModelFamily['sizes']): sizes is SizeRule {
	return !Array.isArray(sizes);
}

/** Checks a WxH size against a rule; returns what is wrong, or undefined when it fits. */
export function checkSizeRule(size: string, rule: SizeRule): string | undefined {
	if (size === 'auto') return undefined;
	const match = /^(\d+)x(\d+)$/.exec(size);
	if (!match) return 'it is not WIDTHxHEIGHT (e.g. 1536x1024) or auto';
	const [width, height] = [Number(match[1]), Number(match[2])];
	if (width % rule.multipleOf !== 0 || height % rule.multipleOf !== 0) {
		return `both edges must be multiples of ${rule.multipleOf}`;
	}
	if (Math.max(width, height) > rule.maxEdge) return `the longest edge must be at most ${rule.maxEdge}`;
	if (Math.max(width, height) > rule.maxAspectRatio * Math.min(width, height)) {
		return `the aspect ratio must be between 1:${rule.maxAspectRatio} and ${rule.maxAspectRatio}:1`;
	}
	const pixels = width * height;
	if (pixels < rule.minPixels || pixels > rule.maxPixels) {
		return `the total pixels must be between ${rule.minPixels.toLocaleString('en-US')} and ${rule.maxPixels.toLocaleString('en-US')}`;
	}
	return undefined;
}

/** Sizes offered in the settings panel for a rule-based family (any other valid WxH works too). */
export const SIZE_PRESETS = [
	'auto',
	'1024x1024',
	'1536x1024',
	'1024x1536',
	'2048x2048',
	'2048x1152',
	'1152x2048',
	'2560x1440',
	'1440x2560',
	'3840x2160',
	'2160x3840',
] as const;
