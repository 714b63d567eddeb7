/**
 * What image models cost, as data beside the model table (models.ts): one row per model family
 * whose price can be traced to a named source. A family without a row gets no cost estimate;
 * no price is ever guessed. The arithmetic is in cost.ts.
 */

/** USD per 1M tokens, by kind of token (the keys of the Prices per 1M Tokens option too). */
export interface TokenRates {
	/** Text tokens of the input (the prompt): `usage.input_tokens_details.text_tokens`. */
	textInput: number;
	/** Image tokens of the input (edits: the input images): `usage.input_tokens_details.image_tokens`. */
	imageInput: number;
	/** Output tokens (the image): `usage.output_tokens`. */
	imageOutput: number;
}

/** The rate keys, in the order they are shown and checked. */
export const RATE_KEYS: ReadonlyArray<keyof TokenRates> = ['textInput', 'imageInput', 'imageOutput'];

/** One model family's list price. */
export interface PriceRow {
	/** The family's `name` in MODEL_FAMILIES (its ids and dated snapshots share the price). */
	family: string;
	rates: TokenRates;
	/** Where the rates come from. */
	source: string;
	/** When the source was read (YYYY-MM-DD). */
	read: string;
}

/**
 * OpenAI's list prices (direct requests; the Batch API halves them, see cost.ts). Only gpt-image-2
 * has a price that can be named here: no source was found for gpt-image-2.5 and 2.6, and the
 * older families are retired on OpenAI.
 *
 * gpt-image-2: OpenAI's API pricing page (openai.com/api/pricing), prices of May 2026, as quoted
 * by independent write-ups (robotsatlas.com "ChatGPT Images 2.0", xairouter.com "GPT Image 2",
 * llmreference.com "GPT Image 2 on OpenAI API"), all read 2026-12-03: text input $5.00,
 * image input $8.00 (cached $2.00), image output $30.00 per 1M tokens. The cached image input
 * rate is not used: the Images API's usage (openai 7.59.0 images.d.ts `ImagesResponse.Usage`)
 * reports no cached tokens.
 */
export const PRICE_TABLE: readonly PriceRow[] = [
	{
		family: 'gpt-image-2',
		rates: { textInput: 5, imageInput: 8, imageOutput: 30 },
		source: 'OpenAI API pricing (openai.com/api/pricing), May 2026 prices',
		read: '2026-12-03',
	},
];
