import type { IDisplayOptions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import {
	familiesWithout,
	FORMATS_WITHOUT_STREAMING,
	isSizeRule,
	MODEL_FAMILIES,
	PARTIAL_IMAGES,
	SIZE_PRESETS,
	type ModelOption,
} from './models';

/**
 * Hides an option for the model families it does not apply to. Unknown model ids and
 * expressions match no family, so every option stays visible for them.
 */
function forModelsTaking(option: ModelOption): { displayOptions?: IDisplayOptions } {
	const without = familiesWithout(option);
	if (without.length === 0) return {};
	// Plain comparisons, no regex: n8n evaluates display rules while the node runs too, and its
	// regex rules run in a sandbox with a wall-clock limit that a busy server can exceed.
	const conditions = without.flatMap((family) =>
		family.ids.map((id) => (family.snapshots ? { _cnd: { startsWith: id } } : id)),
	);
	return { displayOptions: { hide: { '/model': conditions } } };
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
			show: { outputFormat: ['jpeg', 'webp'] },
			...forModelsTaking('outputCompression').displayOptions,
		},
	},
	{
		displayName: 'Output Format',
		name: 'outputFormat',
		type: 'options',
		options: OUTPUT_FORMAT_OPTIONS,
		default: 'png',
		description: 'File format of the images (Azure OpenAI: PNG or JPEG)',
		...forModelsTaking('outputFormat'),
	},
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
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		description: 'The name of the binary field the image is written to',
	},
	{
		displayName: 'Quality',
		name: 'quality',
		type: 'options',
		options: QUALITY_OPTIONS,
		default: 'auto',
		description:
			'Quality the model renders at. GPT image models: auto, low, medium, high (2.5 and later add xhigh, max); dall-e-3: standard, hd.',
	},
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
			'Whether to retry a request that timed out or lost its connection after it was sent. The provider may already have made and billed those images, so a retry may pay for them twice. Off: such an item fails and says so.',
	},
	{
		displayName: 'Size',
		name: 'size',
		type: 'options',
		options: SIZE_OPTIONS,
		default: '1024x1024',
		description:
			'WIDTHxHEIGHT in pixels. gpt-image-2 and later take any size whose edges are multiples of 16 (longest 3840, aspect 1:3 to 3:1, 0.65 to 8.3 megapixels): pick one, or switch to Expression and type it, e.g. 1280x720.',
	},
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
		displayName: 'User',
		name: 'user',
		type: 'string',
		default: '',
		placeholder: 'e.g. user-1234',
		description: 'An ID for the end user, which helps the provider detect abuse',
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
