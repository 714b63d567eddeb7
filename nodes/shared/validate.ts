import type { IExecuteFunctions } from 'n8n-workflow';

import {
	checkSizeRule,
	COMPLEXITIES,
	findModelFamily,
	formatsTaking,
	FORMATS_WITHOUT_STREAMING,
	FRAME_COUNT,
	isSizeRule,
	OUTPUT_FORMAT_RULES,
	PARTIAL_IMAGES,
	SVG_REASONING_EFFORTS,
	type FormatOption,
	type ModelFamily,
	type ModelOption,
} from './models';
import { inputError, NUMBER_TEXT, NUMERIC_OPTIONS, OPTION_FIELDS, type ImageOptions, type ItemConfig } from './parameters';

/** What the chosen endpoint itself refuses, whatever the model (Azure: no webp). */
export interface ProviderLimits {
	name: string;
	unsupportedOutputFormats: readonly string[];
}

const list = (values: readonly string[]) => values.join(', ');

/**
 * Checks one item's configuration against its model family, before any request is sent.
 * Unknown model ids get only the universal checks. Throws ItemInputError naming the item,
 * the field, the value and what would be accepted.
 */
export function validateItem(
	ctx: IExecuteFunctions,
	itemIndex: number,
	config: ItemConfig,
	provider: ProviderLimits,
): ModelFamily | undefined {
	const fail = (field: keyof ImageOptions | 'prompt', message: string): never => {
		const label = field === 'prompt' ? 'Prompt' : `Options › ${OPTION_FIELDS[field].label}`;
		throw inputError(ctx, itemIndex, label, message);
	};
	const show = (value: unknown) => JSON.stringify(value);

	if (!config.prompt.trim()) fail('prompt', 'is empty; describe the image to make');
	checkExtraBodyNumbers(ctx, itemIndex, config);
	// `n` multiplies what is paid for: one set in Extra Body Fields is checked as well.
	const n = (config.extraBody.n ?? config.n) as number | undefined;
	const nSource = config.extraBody.n !== undefined ? ' (from Extra Body Fields)' : '';
	if (n !== undefined && (!Number.isInteger(n) || n < 1)) {
		fail('n', `${show(n)}${nSource} is not accepted; expected a whole number of at least 1`);
	}
	if (config.outputFormat && provider.unsupportedOutputFormats.includes(config.outputFormat)) {
		fail('outputFormat', `${show(config.outputFormat)} is not available on ${provider.name}`);
	}
	checkNewOptions(config, fail);

	const family = findModelFamily(config.model);
	checkStreaming(config, family, fail);
	if (!family) return undefined;
	const model = config.model;

	if (config.prompt.length > family.promptMaxLength) {
		fail('prompt', `is ${config.prompt.length.toLocaleString('en-US')} characters long; ${model} takes at most ${family.promptMaxLength.toLocaleString('en-US')}`);
	}
	if (n !== undefined && n > family.maxImages) {
		fail('n', `${n}${nSource} is not accepted; ${model} takes 1 to ${family.maxImages}`);
	}
	for (const option of ['style', 'background', 'outputFormat', 'outputCompression', 'moderation', 'responseFormat', 'complexity'] as ModelOption[]) {
		if (config[option] !== undefined && !family.options.includes(option)) {
			const hint = option === 'responseFormat' ? ' (GPT image models always return base64 images)' : '';
			fail(option, `${show(config[option])} is not accepted: ${model} does not take this option${hint}; remove it`);
		}
	}
	if (config.size !== undefined) {
		if (isSizeRule(family.sizes)) {
			const problem = checkSizeRule(config.size, family.sizes);
			if (problem) {
				fail('size', `${show(config.size)} is not accepted by ${model}: ${problem}. Accepted: auto, or WIDTHxHEIGHT with edges that are multiples of ${family.sizes.multipleOf}, up to ${family.sizes.maxEdge}, e.g. 1024x1024, 1536x1024, 3840x2160`);
			}
		} else if (!family.sizes.includes(config.size)) {
			fail('size', `${show(config.size)} is not accepted by ${model}; accepted: ${list(family.sizes)}`);
		}
	}
	if (config.quality !== undefined && !family.qualities.includes(config.quality)) {
		fail('quality', `${show(config.quality)} is not accepted by ${model}; accepted: ${list(family.qualities)}`);
	}
	if (config.style !== undefined && family.styles && !family.styles.includes(config.style)) {
		fail('style', `${show(config.style)} is not accepted by ${model}; accepted: ${list(family.styles)}`);
	}
	if (config.responseFormat !== undefined && family.responseFormats && !family.responseFormats.includes(config.responseFormat)) {
		fail('responseFormat', `${show(config.responseFormat)} is not accepted; accepted: ${list(family.responseFormats)}`);
	}
	const formats = (family.outputFormats ?? []).filter((f) => !provider.unsupportedOutputFormats.includes(f));
	if (config.outputFormat !== undefined && !formats.includes(config.outputFormat)) {
		fail('outputFormat', `${show(config.outputFormat)} is not accepted by ${model}; accepted: ${list(formats)}`);
	}
	const format = config.outputFormat ?? 'png';
	if (config.outputCompression !== undefined) {
		const compression = config.outputCompression;
		if (!Number.isInteger(compression) || compression < 0 || compression > 100) {
			fail('outputCompression', `${show(compression)} is not accepted; expected a whole number from 0 to 100`);
		}
		const takers = Object.keys(OUTPUT_FORMAT_RULES).filter((f) => OUTPUT_FORMAT_RULES[f].compression);
		if (OUTPUT_FORMAT_RULES[format]?.compression === false) {
			fail('outputCompression', `applies to the ${takers.join(' and ')} output formats only, and the output format is ${format}; set Output Format to ${takers.join(' or ')}, or remove Output Compression`);
		}
	}
	if (config.background === 'transparent' && format !== 'png' && format !== 'webp') {
		fail('background', `"transparent" needs the png or webp output format, and the output format is ${format}`);
	}
	if (config.background !== undefined && !['auto', 'opaque', 'transparent'].includes(config.background)) {
		fail('background', `${show(config.background)} is not accepted; accepted: auto, opaque, transparent`);
	}
	if (config.moderation !== undefined && !['auto', 'low'].includes(config.moderation)) {
		fail('moderation', `${show(config.moderation)} is not accepted; accepted: auto, low`);
	}
	return family;
}

type Fail = (field: keyof ImageOptions, message: string) => never;

/**
 * The numeric API fields of the options (n, output_compression, partial_images, frame_count,
 * frame_duration_ms) set in Extra Body Fields must be JSON numbers. Extra Body Fields are sent
 * as written, and the API refuses text where it takes an integer, so text such as "3" is
 * refused here, saying it is text and how to write it, rather than rewritten behind the user's
 * back. (The options themselves take numeric text from expressions: readNumber.) null passes,
 * as the user's own "leave it to the API". Throws ItemInputError.
 */
function checkExtraBodyNumbers(ctx: IExecuteFunctions, itemIndex: number, config: ItemConfig): void {
	for (const [key, { apiName }] of Object.entries(OPTION_FIELDS)) {
		if (!NUMERIC_OPTIONS.has(key)) continue;
		const value = config.extraBody[apiName];
		if (value === undefined || value === null || (typeof value === 'number' && Number.isFinite(value))) continue;
		const numberText = typeof value === 'string' && NUMBER_TEXT.test(value.trim());
		const example = JSON.stringify({ [apiName]: numberText ? Number(value) : 1 });
		const what = typeof value === 'string' ? 'is text' : 'is not a number';
		throw inputError(
			ctx,
			itemIndex,
			`Extra Body Fields (JSON) › ${apiName}`,
			`${JSON.stringify(value)} ${what}; Extra Body Fields are sent as written and the API takes a number here: write it as a JSON number, without quotes, e.g. ${example}`,
		);
	}
}

/**
 * The checks of complexity, safety identifier, GIF and SVG options that hold for any model
 * (openai 7.59.0 images.d.ts): their values, that the GIF and SVG options come with their
 * output format, and that SVG settings come with an SVG author model.
 */
function checkNewOptions(config: ItemConfig, fail: Fail): void {
	const show = (value: unknown) => JSON.stringify(value);
	const oneOf = (field: 'complexity' | 'svgReasoningEffort', accepted: readonly string[]) => {
		const value = config[field];
		if (value !== undefined && !accepted.includes(value)) fail(field, `${show(value)} is not accepted; accepted: ${list(accepted)}`);
	};
	oneOf('complexity', COMPLEXITIES);
	oneOf('svgReasoningEffort', SVG_REASONING_EFFORTS);
	const { frameCount, frameDurationMs } = config;
	if (frameCount !== undefined && (!Number.isInteger(frameCount) || frameCount < FRAME_COUNT.min || frameCount > FRAME_COUNT.max)) {
		fail('frameCount', `${show(frameCount)} is not accepted; expected a whole number from ${FRAME_COUNT.min} to ${FRAME_COUNT.max}`);
	}
	if (frameDurationMs !== undefined && (typeof frameDurationMs !== 'number' || !Number.isFinite(frameDurationMs) || frameDurationMs < 0)) {
		fail('frameDurationMs', `${show(frameDurationMs)} is not accepted; expected milliseconds per frame, a number of at least 0 (the API rounds to 10 ms)`);
	}
	if (config.safetyIdentifier !== undefined && typeof config.safetyIdentifier !== 'string') {
		fail('safetyIdentifier', `${show(config.safetyIdentifier)} is not accepted; expected text`);
	}
	const format = config.outputFormat ?? 'png';
	for (const option of ['frameCount', 'frameDurationMs', 'svgModel', 'svgReasoningEffort'] as FormatOption[]) {
		const formats = formatsTaking(option);
		if (config[option] !== undefined && !formats.includes(format)) {
			fail(option, `${show(config[option])} is not accepted: it applies only with output format ${formats.join(', ')}, and the output format is ${format}; set Output Format to ${formats.join(', ')}, or remove this option`);
		}
	}
	// The reference (ImageGenerateParams.svg, ImageEditParams.svg): "When model selection is enabled,
	// supply svg.model. When model selection is disabled, omit this object." An svg object without
	// a model is never right.
	if (config.svgReasoningEffort !== undefined && !config.svgModel) {
		fail('svgReasoningEffort', `${show(config.svgReasoningEffort)} is not accepted without Options › SVG Author Model: the API takes svg settings only together with svg.model; set SVG Author Model, or remove SVG Reasoning Effort`);
	}
	const extraSvg = config.extraBody.svg;
	if (extraSvg !== undefined && extraSvg !== null && (typeof extraSvg !== 'object' || typeof (extraSvg as { model?: unknown }).model !== 'string' || !(extraSvg as { model: string }).model)) {
		fail('svgModel', `${show(extraSvg)} (svg from Extra Body Fields) is not accepted: the API takes an svg object only with a model, e.g. {"svg": {"model": "gpt-5"}}; add "model", or remove "svg"`);
	}
}

/**
 * Streaming rules (openai 7.59.0 images.d.ts): `stream` for GPT image models only (unknown ids
 * pass), `partial_images` 0-3 and only with `stream`, neither with the gif or svg output format.
 * Values set in Extra Body Fields count too, as they are what is sent. `fail` throws.
 */
function checkStreaming(
	config: ItemConfig,
	family: ModelFamily | undefined,
	fail: (field: keyof ImageOptions, message: string) => never,
): void {
	const extra = config.extraBody;
	const from = (apiName: string) => (extra[apiName] !== undefined ? ' (from Extra Body Fields)' : '');
	const stream = extra.stream ?? config.stream;
	const partialImages = extra.partial_images ?? config.partialImages;
	const format = (extra.output_format ?? config.outputFormat) as string | undefined;
	if (stream !== undefined && typeof stream !== 'boolean') {
		fail('stream', `${JSON.stringify(stream)}${from('stream')} is not accepted; expected true or false`);
	}
	if (partialImages !== undefined) {
		const { min, max } = PARTIAL_IMAGES;
		if (typeof partialImages !== 'number' || !Number.isInteger(partialImages) || partialImages < min || partialImages > max) {
			fail('partialImages', `${JSON.stringify(partialImages)}${from('partial_images')} is not accepted; expected a whole number from ${min} to ${max}`);
		}
		if (stream !== true) fail('partialImages', `${partialImages}${from('partial_images')} is only taken with Stream on; turn on Options › Stream, or remove Partial Images`);
	}
	if (stream !== true) return;
	if (family && !family.options.includes('stream')) {
		fail('stream', `true${from('stream')} is not accepted: ${config.model} does not stream (GPT image models do); remove Stream`);
	}
	if (format && FORMATS_WITHOUT_STREAMING.includes(format)) {
		fail('stream', `true${from('stream')} is not accepted with the ${format} output format (${FORMATS_WITHOUT_STREAMING.join(' and ')} output is never streamed); remove Stream${partialImages !== undefined ? ' and Partial Images' : ''}, or choose png, jpeg or webp`);
	}
}
