/**
 * What a request cost, estimated from the usage its answer reports and a price per 1M tokens:
 * the node's Prices per 1M Tokens option, else OpenAI's list price (prices.ts) for requests to
 * OpenAI itself. Azure OpenAI and compatible servers get an estimate only from the option.
 */
import type { IDataObject } from 'n8n-workflow';

import { findModelFamily } from './models';
import type { ItemConfig } from './parameters';
import { PRICE_TABLE, RATE_KEYS, type TokenRates } from './prices';
import type { Endpoint } from './transport/endpoint';

/** Rates and where they come from. */
export interface Pricing {
	/** USD per 1M tokens, at the direct (non-batch) price. */
	rates: TokenRates;
	source: string;
}

/** A request's estimated cost, as put on its first image item (and its Raw Response row). */
export interface EstimatedCost extends IDataObject {
	/** US dollars, rounded to 10 decimal places (see estimateCost). */
	usd: number;
	textInputTokens: number;
	imageInputTokens: number;
	outputTokens: number;
	/** The rates applied, USD per 1M tokens: halved when `batch`. */
	rates: IDataObject & TokenRates;
	batch: boolean;
	source: string;
}

/** The source named when the node's own option gave the prices. */
export const PRICES_OPTION_SOURCE = 'Options › Prices per 1M Tokens';

/** The Batch API bills half the direct rates (OpenAI's pricing page and Batch API guide: "50% discount"). */
export const BATCH_RATE_FACTOR = 0.5;

/** Decimal places `usd` is rounded to: a hundred-millionth of a cent, far below any price, above float noise. */
const USD_DECIMALS = 10;

/**
 * The prices for a request: `override` (the node's Prices per 1M Tokens, read by readPrices)
 * wins; else, for requests to OpenAI itself (`endpointKind` 'openai'), the list price of the
 * model's family from PRICE_TABLE (dated snapshots included). Returns undefined when no price is
 * known: Azure OpenAI and compatible servers without the option, models without a row. Throws
 * nothing.
 */
export function pricingFor(model: string, endpointKind: Endpoint['kind'] | undefined, override?: TokenRates): Pricing | undefined {
	if (override) return { rates: override, source: PRICES_OPTION_SOURCE };
	if (endpointKind !== 'openai') return undefined;
	const family = findModelFamily(model);
	const row = family && PRICE_TABLE.find((price) => price.family === family.name);
	return row ? { rates: row.rates, source: `${row.source}, read ${row.read}` } : undefined;
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** The token counts of an Images API `usage` (openai 7.59.0 `ImagesResponse.Usage`), or undefined when one is missing. */
function tokenCounts(usage: unknown): { text: number; image: number; output: number } | undefined {
	if (!usage || typeof usage !== 'object') return undefined;
	const { input_tokens_details: details, output_tokens: output } = usage as IDataObject;
	const { text_tokens: text, image_tokens: image } = (details && typeof details === 'object' ? details : {}) as IDataObject;
	return isCount(text) && isCount(image) && isCount(output) ? { text, image, output } : undefined;
}

/**
 * A request's estimated cost from its answer's usage.
 *
 * In: `usage` as the Images API reports it (openai 7.59.0 images.d.ts `ImagesResponse.Usage`:
 * `input_tokens_details.text_tokens`, `input_tokens_details.image_tokens`, `output_tokens`; the
 * streamed completed events carry the same); `pricing`, rates in USD per 1M tokens at the direct
 * price (pricingFor); `batch`, whether the request went through the Batch API, which bills
 * BATCH_RATE_FACTOR (50 %) of every rate.
 *
 * Out: `usd` = (textInputTokens × textInput + imageInputTokens × imageInput + outputTokens ×
 * imageOutput) / 1,000,000, with the rates halved for batch, rounded half up to USD_DECIMALS
 * (10) decimal places, so that a value such as $0.12481 is exactly that number and not
 * 0.12481000000000001; rates with up to 3 decimals give the exact amount, batch included. All
 * output tokens are priced at the image output rate (the usage's `output_tokens` is "the number
 * of image tokens in the output image"). Undefined when the usage lacks one of the three counts
 * (or one is not a whole number >= 0): nothing is guessed. Throws nothing.
 */
export function estimateCost(usage: unknown, pricing: Pricing, { batch }: { batch: boolean }): EstimatedCost | undefined {
	const tokens = tokenCounts(usage);
	if (!tokens) return undefined;
	const factor = batch ? BATCH_RATE_FACTOR : 1;
	// Halving a binary float is exact: the rates shown are the rates applied.
	const rates = Object.fromEntries(RATE_KEYS.map((key) => [key, pricing.rates[key] * factor])) as unknown as EstimatedCost['rates'];
	const perMillion = tokens.text * rates.textInput + tokens.image * rates.imageInput + tokens.output * rates.imageOutput;
	// usd = perMillion / 1e6, rounded to 10 decimals: one rounding of an (almost) whole number,
	// then one correctly rounded division by a power of ten.
	const usd = Math.round(perMillion * 10 ** (USD_DECIMALS - 6)) / 10 ** USD_DECIMALS;
	return {
		usd,
		textInputTokens: tokens.text,
		imageInputTokens: tokens.image,
		outputTokens: tokens.output,
		rates,
		batch,
		source: pricing.source,
	};
}

/**
 * The estimated cost of one request of an item (its model and Prices per 1M Tokens), sent to a
 * server of `endpointKind`, from the `usage` of each part of its answer (a plain answer: one; a
 * streamed one: one per event, completed events reporting their image's, partial ones none),
 * summed; `batch` when it went through the Batch API. Parts without a usage are skipped.
 * Undefined when no price is known, no part reports a usage, or one lacks a count (pricingFor,
 * estimateCost). Throws nothing.
 */
export function requestCost(
	config: Pick<ItemConfig, 'model' | 'prices'>,
	endpointKind: Endpoint['kind'] | undefined,
	usages: unknown[],
	batch = false,
): EstimatedCost | undefined {
	const pricing = pricingFor(config.model, endpointKind, config.prices);
	const reported = usages.filter((usage) => usage !== undefined && usage !== null);
	if (!pricing || reported.length === 0) return undefined;
	const counts = reported.map(tokenCounts);
	if (counts.some((count) => count === undefined)) return undefined;
	const sum = (key: 'text' | 'image' | 'output') => counts.reduce((total, count) => total + count![key], 0);
	const usage = { input_tokens_details: { text_tokens: sum('text'), image_tokens: sum('image') }, output_tokens: sum('output') };
	return estimateCost(usage, pricing, { batch });
}
