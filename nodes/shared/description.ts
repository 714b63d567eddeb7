import type { IDisplayOptions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import {
	COMPLEXITIES,
	familiesWithout,
	formatsTaking,
	FORMATS_WITHOUT_STREAMING,
	FRAME_COUNT,
	isSizeRule,
	MAX_FRAME_DURATION_MS,
	MODEL_FAMILIES,
	OUTPUT_FORMAT_RULES,
	PARTIAL_IMAGES,
	SIZE_PRESETS,
	SVG_REASONING_EFFORTS,
	type FormatOption,
	type ModelFamily,
	type ModelOption,
} from './models';

/**
 * The ids a model id stands for in display rules: itself, and for families with dated snapshots
 * every `<id>-20YY-MM-DD`, as one range of text (`<id>` to `<id>-2099-99-99`). Plain comparisons,
 * no regex: n8n evaluates display rules while the node runs too, and its regex rules run in a
 * sandbox with a wall-clock limit that a busy server can exceed. The range keeps gpt-image-2 from
 * matching gpt-image-2.6-flare ("." sorts after "-") and gpt-image-1 from gpt-image-1-mini.
 */
function idRange(family: ModelFamily, id: string): { from: string; to: string } {
	return { from: id, to: family.snapshots ? `${id}-2099-99-99` : id };
}

/** Display conditions on `/model` that match the families' ids (and snapshots). */
function modelConditions(families: readonly ModelFamily[]) {
	return families.flatMap((family) => family.ids.map((id) => ({ _cnd: { between: idRange(family, id) } })));
}

/**
 * Display conditions on `/model` that match every model but this id (and its snapshots), an
 * expression included. Only `hide` rules are used: n8n shows an entry whose `show` rule meets
 * an expression, so a `show` per model would show every copy for `={{ ... }}`.
 */
function otherModels(family: ModelFamily, id: string) {
	const { from, to } = idRange(family, id);
	return [{ _cnd: { lt: from } }, { _cnd: { gt: to } }];
}

/**
 * Hides an option for the model families it does not apply to. Unknown model ids and
 * expressions match no family, so every option stays visible for them.
 */
function forModelsTaking(option: ModelOption): { displayOptions?: IDisplayOptions } {
	const without = familiesWithout(option);
	if (without.length === 0) return {};
	return { displayOptions: { hide: { '/model': modelConditions(without) } } };
}

/** Shows a GIF or SVG option once Output Format is its format, for models that make that format. */
function forFormatTaking(option: FormatOption): { displayOptions: IDisplayOptions } {
	const formats = formatsTaking(option);
	const without = MODEL_FAMILIES.filter((family) => !formats.some((format) => family.outputFormats?.includes(format)));
	return { displayOptions: { show: { outputFormat: formats }, hide: { '/model': modelConditions(without) } } };
}

/**
 * One copy of a select option per known model id, offering the values its family takes and
 * shown only for that id (and its snapshots), plus the copy with every value for expressions and
 * ids the node does not know. The copies share their `name`: n8n's collection shows, adds and
 * saves the one whose display rules match, so a saved value stays the same whatever the model.
 */
function perModelCopies(
	base: INodeProperties,
	everyValue: INodePropertyOptions[],
	values: (family: ModelFamily) => readonly string[] | undefined,
): INodeProperties[] {
	const baseHide = base.displayOptions?.hide?.['/model'] ?? [];
	const withHide = (conditions: unknown[]): IDisplayOptions => ({
		...base.displayOptions,
		hide: { ...base.displayOptions?.hide, '/model': [...baseHide, ...conditions] as NonNullable<IDisplayOptions['hide']>[string] },
	});
	const known = MODEL_FAMILIES.filter((family) => values(family));
	const copies: INodeProperties[] = known.flatMap((family) => {
		const taken = values(family)!;
		return family.ids.map((id) => ({
			...base,
			options: everyValue.filter((option) => taken.includes(option.value as string)).map(({ name, value }) => ({ name, value })),
			default: taken.includes(base.default as string) ? base.default : taken[0],
			displayOptions: withHide(otherModels(family, id)),
		}));
	});
	copies.push({ ...base, options: everyValue, displayOptions: withHide(modelConditions(known)) });
	return copies;
}

/**
 * A display rule hiding an option for the given known model ids and their dated snapshots
 * (`<id>-2026-04-21`) only: other ids and expressions keep it visible.
 */
export function hiddenForModelIds(ids: readonly string[]): { displayOptions?: IDisplayOptions } {
	if (ids.length === 0) return {};
	const conditions = ids.flatMap((id) => [id, { _cnd: { startsWith: `${id}-2` } }]);
	return { displayOptions: { hide: { '/model': conditions } } };
}

/** Every value some family takes, with the models that take it (the API call is checked per model). */
function valuesOffered(
	values: (family: (typeof MODEL_FAMILIES)[number]) => readonly string[] | undefined,
	order: readonly string[],
	label: (value: string) => string,
): INodePropertyOptions[] {
	const takers = new Map<string, string[]>(order.map((value) => [value, []]));
	for (const family of MODEL_FAMILIES) {
		for (const value of values(family) ?? []) {
			if (!takers.has(value)) takers.set(value, []);
			takers.get(value)!.push(family.name.split(' ')[0]);
		}
	}
	return [...takers.entries()].map(([value, models]) => ({
		name: label(value),
		value,
		description: models.length ? `Taken by ${[...new Set(models)].join(', ')}` : undefined,
	}));
}

const capitalise = (value: string) => value.charAt(0).toUpperCase() + value.slice(1);

const SIZE_OPTIONS = valuesOffered(
	(family) => (isSizeRule(family.sizes) ? SIZE_PRESETS : family.sizes),
	['auto', ...SIZE_PRESETS.slice(1)],
	(value) => (value === 'auto' ? 'Auto' : value),
).sort((a, b) => (a.value === 'auto' ? -1 : b.value === 'auto' ? 1 : a.name.localeCompare(b.name, 'en', { numeric: true })));

const QUALITY_OPTIONS = valuesOffered((family) => family.qualities, [], (value) => (value === 'hd' ? 'HD' : value === 'xhigh' ? 'Extra High' : capitalise(value)))
	.sort((a, b) => a.name.localeCompare(b.name));

const OUTPUT_FORMAT_OPTIONS = valuesOffered((family) => family.outputFormats, [], (value) => value.toUpperCase())
	.sort((a, b) => a.name.localeCompare(b.name));

/** Stream and Partial Images are hidden for models that do not stream and for gif and svg output. */
const STREAM_HIDDEN = { outputFormat: [...FORMATS_WITHOUT_STREAMING], ...forModelsTaking('stream').displayOptions?.hide };

export const DEFAULT_MODEL = 'gpt-image-2';
export const DEFAULT_CONCURRENCY = 5;
export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_TIMEOUT_MS = 600_000;
export const MAX_TIMEOUT_MS = 3_600_000;
export const MAX_CONCURRENCY = 50;
export const MAX_RETRIES = 10;

/** Which credential the node uses: OpenAI and compatible servers, or Azure OpenAI. */
export const authenticationProperty: INodeProperties = {
	displayName: 'Authentication',
	name: 'authentication',
	type: 'options',
	options: [
		{ name: 'OpenAI Images API', value: 'openAiImagesApi' },
		{ name: 'Azure OpenAI Images API', value: 'azureOpenAiImagesApi' },
	],
	default: 'openAiImagesApi',
	description:
		'OpenAI, or any OpenAI-compatible server (LocalAI, vLLM, LiteLLM ...) through its base URL; or Azure OpenAI',
};

/** The model (resource locator): from the provider's list, or an ID; with Azure, the deployment. */
export const modelProperty: INodeProperties = {
	displayName: 'Model',
	name: 'model',
	type: 'resourceLocator',
	default: { mode: 'id', value: DEFAULT_MODEL },
	required: true,
	description:
		'The image model (with Azure OpenAI: the deployment name). IDs the node does not know yet are sent as they are.',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			typeOptions: { searchListMethod: 'searchModels', searchable: true },
		},
		{
			displayName: 'ID',
			name: 'id',
			type: 'string',
			placeholder: 'e.g. gpt-image-2',
		},
	],
};

/** What the image should show (or, for edits, how to change it). */
export const promptProperty: INodeProperties = {
	displayName: 'Prompt',
	name: 'prompt',
	type: 'string',
	typeOptions: { rows: 4 },
	default: '',
	required: true,
	placeholder: 'e.g. A watercolour lighthouse at dawn, soft light',
	description: 'What the image should show. gpt-image models take up to 32,000 characters.',
};

/** Images (binary files) or the Raw Response rows. */
export const resultFormatProperty: INodeProperties = {
	displayName: 'Result Format',
	name: 'resultFormat',
	type: 'options',
	options: [
		{
			name: 'Images',
			value: 'images',
			description: 'One item per image: the file as binary data, with its metadata as JSON',
		},
		{
			name: 'Raw Response',
			value: 'rawResponse',
			description:
				'One item per request: the body and HTTP status of the API answer, errors included',
		},
	],
	default: 'images',
};

/**
 * The options every image request takes (generations and edits alike), as entries of the
 * node's `options` collection, sorted by display name. Display rules hide the ones the chosen
 * model does not take.
 */
export const imageOptions: INodeProperties[] = [
	{
		displayName: 'Background',
		name: 'background',
		type: 'options',
		options: [
			{ name: 'Auto', value: 'auto' },
			{ name: 'Opaque', value: 'opaque' },
			{ name: 'Transparent', value: 'transparent' },
		],
		default: 'auto',
		description: 'Transparent needs the PNG or WEBP output format',
		...forModelsTaking('background'),
	},
	{
		displayName: 'Complexity',
		name: 'complexity',
		type: 'options',
		options: COMPLEXITIES.map((value) => ({ name: capitalise(value), value })),
		default: 'medium',
		description:
			'How much computation goes into planning the image, apart from rendering Quality (with SVG output: the reference image). Not set: the model\'s default.',
		...forModelsTaking('complexity'),
	},
	{
		displayName: 'GIF Frame Count',
		name: 'frameCount',
		type: 'number',
		typeOptions: { minValue: FRAME_COUNT.min, maxValue: FRAME_COUNT.max, numberPrecision: 0 },
		default: 9,
		description: `Frames of the animated GIF, ${FRAME_COUNT.min} to ${FRAME_COUNT.max} (the API's default: 9)`,
		...forFormatTaking('frameCount'),
	},
	{
		displayName: 'GIF Frame Duration',
		name: 'frameDurationMs',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: MAX_FRAME_DURATION_MS, numberPrecision: 0 },
		default: 200,
		description: 'Milliseconds each GIF frame shows (the API rounds to 10 ms; its default: 200)',
		...forFormatTaking('frameDurationMs'),
	},
	{
		displayName: 'Safety Identifier',
		name: 'safetyIdentifier',
		type: 'string',
		default: '',
		placeholder: 'e.g. a hash of the user name',
		description:
			'A stable ID for the end user (hash a user name or email), used by the provider to detect abuse. Replaces the older User field and wins over it.',
	},
	{
		displayName: 'SVG Author Model',
		name: 'svgModel',
		type: 'string',
		default: '',
		placeholder: 'e.g. gpt-5',
		description:
			'The model that writes the SVG (sent as svg.model; needs SVG model selection on your project). The image model above makes the reference image.',
		...forFormatTaking('svgModel'),
	},
	{
		displayName: 'SVG Reasoning Effort',
		name: 'svgReasoningEffort',
		type: 'options',
		options: SVG_REASONING_EFFORTS.map((value) => ({ name: value === 'xhigh' ? 'Extra High' : capitalise(value), value })),
		default: 'medium',
		description: 'How much the SVG author reasons (sent as svg.reasoning.effort); needs SVG Author Model. Which efforts work depends on the author model.',
		...forFormatTaking('svgReasoningEffort'),
	},
	{
		displayName: 'Concurrency',
		name: 'concurrency',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_CONCURRENCY },
		default: DEFAULT_CONCURRENCY,
		description:
			'Most requests in flight at once for this node (image downloads included). When the provider answers 429 the node slows down by itself, then speeds up again.',
	},
	{
		displayName: 'Extra Body Fields (JSON)',
		name: 'extraBody',
		type: 'json',
		default: '{}',
		description:
			'JSON object merged into the request body, for parameters this node does not know yet. Its fields win over the ones above.',
	},
	{
		displayName: 'File Name',
		name: 'fileName',
		type: 'string',
		default: '',
		placeholder: 'e.g. {{ $json.slug }}.png',
		description:
			'Name of the binary file. Without one, it is image_ITEM_INDEX with the extension of its type. When the request makes several images, _INDEX is added before the extension.',
	},
	{
		displayName: 'Max Retries',
		name: 'maxRetries',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: MAX_RETRIES },
		default: DEFAULT_MAX_RETRIES,
		description:
			'How often one request is tried again after 408, 409, 429 (not insufficient quota), 5xx or a refused connection (nothing was made), and after a timeout or a lost connection only with Retry When Outcome Is Unknown. Only the failed request is repeated. Retry-After is honoured.',
	},
	{
		displayName: 'Moderation',
		name: 'moderation',
		type: 'options',
		options: [
			{ name: 'Auto', value: 'auto' },
			{ name: 'Low', value: 'low' },
		],
		default: 'auto',
		description: 'How strictly the provider filters the content',
		...forModelsTaking('moderation'),
	},
	{
		displayName: 'Number of Images',
		name: 'n',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 10 },
		default: 1,
		description:
			'Images to make for each item. Where a model makes fewer per request (dall-e-3: 1), the node sends several requests and merges them.',
	},
	{
		displayName: 'Output Compression',
		name: 'outputCompression',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 100 },
		default: 100,
		description: 'Compression level (0-100 %) for the JPEG and WEBP output formats',
		displayOptions: {
			// Only once Output Format is JPEG or WEBP: with the default PNG it would be refused.
			show: { outputFormat: Object.keys(OUTPUT_FORMAT_RULES).filter((format) => OUTPUT_FORMAT_RULES[format].compression) },
			...forModelsTaking('outputCompression').displayOptions,
		},
	},
	...perModelCopies(
		{
			displayName: 'Output Format',
			name: 'outputFormat',
			type: 'options',
			options: [],
			default: 'png',
			description: 'File format of the images (Azure OpenAI: PNG or JPEG; GIF and SVG: gpt-image-2.6)',
			...forModelsTaking('outputFormat'),
		},
		OUTPUT_FORMAT_OPTIONS,
		(family) => family.outputFormats,
	),
	{
		displayName: 'Partial Images',
		name: 'partialImages',
		type: 'number',
		typeOptions: { minValue: PARTIAL_IMAGES.min, maxValue: PARTIAL_IMAGES.max },
		default: 0,
		description:
			'With Stream on: how many rough previews (0-3) the provider sends while it works. Each becomes an item before its final image, with partialImageIndex in its JSON.',
		displayOptions: {
			show: { stream: [true] },
			hide: STREAM_HIDDEN,
		},
	},
	{
		displayName: 'Prices per 1M Tokens',
		name: 'prices',
		type: 'json',
		default: '{}',
		// No usage in the answer, nothing to price (DALL-E).
		displayOptions: { hide: { '/model': modelConditions(MODEL_FAMILIES.filter((family) => !family.returns.usage)) } },
		description:
			'US dollars per 1M tokens for the cost estimate (estimatedCost on the first image of each request), e.g. {"textInput": 5, "imageInput": 8, "imageOutput": 30}: contract prices, Azure OpenAI or another server. Empty: OpenAI\'s list price where the node knows one (gpt-image-2, direct to OpenAI); otherwise no estimate.',
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		description: 'The name of the binary field the image is written to',
	},
	...perModelCopies(
		{
			displayName: 'Quality',
			name: 'quality',
			type: 'options',
			options: [],
			default: 'auto',
			description:
				'Quality the model renders at. GPT image models: auto, low, medium, high (gpt-image-2.5 adds xhigh, max); dall-e-3: standard, hd.',
		},
		QUALITY_OPTIONS,
		(family) => family.qualities,
	),
	{
		displayName: 'Request Timeout',
		name: 'timeout',
		type: 'number',
		typeOptions: { minValue: 1000, maxValue: MAX_TIMEOUT_MS },
		default: DEFAULT_TIMEOUT_MS,
		description:
			'Milliseconds to wait for one attempt before giving up on it (and retrying). Large, high-quality images can take minutes.',
	},
	{
		displayName: 'Response Format',
		name: 'responseFormat',
		type: 'options',
		options: [
			{ name: 'URL', value: 'url', description: 'A link valid for 60 minutes; the node downloads it' },
			{ name: 'Base64 JSON', value: 'b64_json', description: 'The image inside the answer' },
		],
		default: 'url',
		description: 'How DALL-E models return the image (GPT image models always return base64)',
		...forModelsTaking('responseFormat'),
	},
	{
		displayName: 'Retry When Outcome Is Unknown',
		name: 'retryOnUnknownOutcome',
		type: 'boolean',
		default: false,
		description:
			'Whether to retry a request that timed out, lost its connection after it was sent, or got a gateway timeout (504, 524). The provider may already have made and billed those images, so a retry may pay for them twice. Off: such an item fails and says so.',
	},
	...perModelCopies(
		{
			displayName: 'Size',
			name: 'size',
			type: 'options',
			options: [],
			default: '1024x1024',
			description:
				'WIDTHxHEIGHT in pixels. gpt-image-2 and 2.5 take any size whose edges are multiples of 16 (longest 3840, aspect 1:3 to 3:1, 0.65 to 8.3 megapixels): pick one, or switch to Expression and type it, e.g. 1280x720.',
		},
		SIZE_OPTIONS,
		(family) => (isSizeRule(family.sizes) ? SIZE_PRESETS : family.sizes),
	),
	{
		displayName: 'Stream',
		name: 'stream',
		type: 'boolean',
		default: false,
		description:
			'Whether to receive the answer as a stream of events (GPT image models; not with GIF or SVG output). The connection stays busy, so proxies with idle timeouts do not cut long requests; Request Timeout then bounds each silence, not the whole request.',
		displayOptions: {
			hide: STREAM_HIDDEN,
		},
	},
	{
		displayName: 'Style',
		name: 'style',
		type: 'options',
		options: [
			{ name: 'Natural', value: 'natural' },
			{ name: 'Vivid', value: 'vivid' },
		],
		default: 'vivid',
		description: 'Dall-e-3 only: vivid leans to hyper-real, dramatic images; natural to less stylised ones',
		...forModelsTaking('style'),
	},
	{
		displayName: 'User (Older Field)',
		name: 'user',
		type: 'string',
		default: '',
		placeholder: 'e.g. user-1234',
		description:
			'The older field for an end-user ID (sent as user, deprecated by OpenAI): prefer Safety Identifier, which wins when both are set',
	},
];

/** The `options` collection holding the given entries (sorted by display name, as n8n's lint wants). */
export function optionsCollection(entries: INodeProperties[]): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [...entries].sort((a, b) => a.displayName.localeCompare(b.displayName)),
	};
}

/**
 * Request Mode and the batch settings (issue 17; node-wide, read from the first item): direct
 * requests, or OpenAI's Batch API at half the price with results within 24 h (openai 7.59.0
 * `BatchCreateParams.completion_window`).
 */
export const batchProperties: INodeProperties[] = [
	{
		displayName: 'Request Mode',
		name: 'requestMode',
		type: 'options',
		options: [
			{ name: 'Direct', value: 'direct', description: 'One request per image, answered now' },
			{
				name: 'Batch',
				value: 'batch',
				description: "Batch API: half price, results within 24 h (OpenAI's Files and Batch APIs; not Azure)",
			},
		],
		default: 'direct',
	},
	{
		displayName: 'Wait for Results',
		name: 'batchWait',
		type: 'boolean',
		default: true,
		description:
			'Whether the node waits for the batches to finish (polling, seconds at first, then minutes) and outputs the images; off: one item per input item with its batch ID, to pick up later with Image Batch › Get Results',
		displayOptions: { show: { requestMode: ['batch'] } },
	},
	{
		displayName: 'Max Wait (Hours)',
		name: 'batchMaxWaitHours',
		type: 'number',
		default: 25,
		typeOptions: { minValue: 0.01, numberPrecision: 2 },
		description: 'Past this wait the node outputs what Wait for Results off gives; the batches go on',
		displayOptions: { show: { requestMode: ['batch'], batchWait: [true] } },
	},
	{
		displayName: 'Delete Files',
		name: 'batchDeleteFiles',
		type: 'boolean',
		default: true,
		description:
			'Whether the files the node uploaded (requests, edit inputs) and the output and error files, once read, are deleted from the provider',
		displayOptions: { show: { requestMode: ['batch'] } },
	},
];
