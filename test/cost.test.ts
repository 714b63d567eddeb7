/**
 * What each request cost (nodes/shared/cost.ts, prices.ts): the arithmetic of estimateCost, the
 * price table, and inside n8n's engine the estimatedCost on the first image of each request, on
 * Raw Response rows, from a streamed answer's completed event, with Prices per 1M Tokens, and
 * none where no price is known.
 *
 * The image server's usage is known from the request (test/server/models.ts usageFor): text
 * tokens = ceil(prompt length / 4), no image input tokens, output tokens 4160 for a 1024x1024
 * image at high quality and 272 at low; the tests below assert that usage too, so every
 * expected amount can be checked by hand.
 */
import axios, { type InternalAxiosRequestConfig } from 'axios';
import sharp from 'sharp';

import { BATCH_RATE_FACTOR, estimateCost, pricingFor, PRICES_OPTION_SOURCE, type Pricing } from '../nodes/shared/cost';
import { MODEL_FAMILIES } from '../nodes/shared/models';
import { PRICE_TABLE } from '../nodes/shared/prices';
import { startImageServer, type ImageServer } from './server';
import { edits, errorMessage, file, generations, itemError, runCreateImage, runEditImage } from './workflow';

let server: ImageServer;
beforeAll(async () => {
	server = await startImageServer();
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

const GPT_IMAGE_2: Pricing = { rates: { textInput: 5, imageInput: 8, imageOutput: 30 }, source: 'the table' };
const usage = (text: number, image: number, output: number) => ({
	input_tokens: text + image,
	input_tokens_details: { text_tokens: text, image_tokens: image },
	output_tokens: output,
	total_tokens: text + image + output,
});

// 'a cat' is 5 characters: 2 text tokens; 1024x1024 at high quality: 4160 output tokens.
const CAT_USAGE = { input_tokens: 2, input_tokens_details: { text_tokens: 2, image_tokens: 0 }, output_tokens: 4160, total_tokens: 4162 };
const CAT_COST_DIRECT = {
	usd: 0.12481,
	textInputTokens: 2,
	imageInputTokens: 0,
	outputTokens: 4160,
	rates: { textInput: 5, imageInput: 8, imageOutput: 30 },
	batch: false,
	source: 'OpenAI API pricing (openai.com/api/pricing), May 2026 prices, read 2026-12-03',
};

describe('estimateCost: the arithmetic', () => {
	test('gpt-image-2 direct: (2 × $5 + 0 × $8 + 4160 × $30) / 1M = $0.12481', () => {
		expect(CAT_USAGE).toEqual(usage(2, 0, 4160));
		expect(estimateCost(CAT_USAGE, GPT_IMAGE_2, { batch: false })).toEqual({ ...CAT_COST_DIRECT, source: 'the table' });
	});

	test('gpt-image-2 through the Batch API: every rate halved, $0.062405', () => {
		expect(BATCH_RATE_FACTOR).toBe(0.5);
		const direct = estimateCost(usage(2, 0, 4160), GPT_IMAGE_2, { batch: false });
		expect(estimateCost(usage(2, 0, 4160), GPT_IMAGE_2, { batch: true })).toEqual({
			...direct,
			usd: 0.062405,
			rates: { textInput: 2.5, imageInput: 4, imageOutput: 15 },
			batch: true,
		});
	});

	// OpenAI prices a 1024x1024 image at high quality at about $0.211; its calculator counts 7024
	// output tokens for it (as quoted on community.openai.com, "ChatGPT Images 2.0" livestream thread).
	test("OpenAI's example: a 1024x1024 image at high quality, 7024 output tokens, about $0.211", () => {
		expect(estimateCost(usage(0, 0, 7024), GPT_IMAGE_2, { batch: false })?.usd).toBe(0.21072);
		expect(estimateCost(usage(0, 0, 7024), GPT_IMAGE_2, { batch: true })?.usd).toBe(0.10536);
	});

	test('an edit: input image tokens at the image input rate', () => {
		// 30 × $5 + 1000 × $8 + 1056 × $30 = 150 + 8000 + 31680 = 39830 per 1M
		expect(estimateCost(usage(30, 1000, 1056), GPT_IMAGE_2, { batch: false })?.usd).toBe(0.03983);
		expect(estimateCost(usage(30, 1000, 1056), GPT_IMAGE_2, { batch: true })?.usd).toBe(0.019915);
	});

	test('no float noise: rates with decimals give the decimal amount, batch included', () => {
		const pricing: Pricing = { rates: { textInput: 0.1, imageInput: 0.2, imageOutput: 0.7 }, source: 'x' };
		// 0.1 + 0.2 + 0.7 = 1.0 per 1M (as floats 0.1 + 0.2 is 0.30000000000000004)
		expect(estimateCost(usage(1, 1, 1), pricing, { batch: false })?.usd).toBe(0.000001);
		expect(estimateCost(usage(3, 3, 3), pricing, { batch: true })?.usd).toBe(0.0000015);
		expect(estimateCost(usage(7, 0, 0), { rates: { textInput: 1.1, imageInput: 0, imageOutput: 0 }, source: 'x' }, { batch: false })?.usd).toBe(0.0000077);
	});

	test('a usage that lacks a count gives no estimate (nothing guessed)', () => {
		expect(estimateCost(undefined, GPT_IMAGE_2, { batch: false })).toBeUndefined();
		expect(estimateCost({ input_tokens: 10, output_tokens: 100, total_tokens: 110 }, GPT_IMAGE_2, { batch: false })).toBeUndefined();
		expect(estimateCost({ ...usage(1, 0, 1), output_tokens: '1' }, GPT_IMAGE_2, { batch: false })).toBeUndefined();
		expect(estimateCost({ ...usage(1, 0, 1), output_tokens: -1 }, GPT_IMAGE_2, { batch: false })).toBeUndefined();
	});
});

describe('the price table and which price applies', () => {
	test('every row names a known model family, positive rates, its source and the date it was read', () => {
		expect(PRICE_TABLE.length).toBeGreaterThan(0);
		for (const row of PRICE_TABLE) {
			expect(MODEL_FAMILIES.map((family) => family.name)).toContain(row.family);
			expect(Object.values(row.rates).every((rate) => rate > 0)).toBe(true);
			expect(row.source).toMatch(/openai\.com/);
			expect(row.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
		}
		expect(PRICE_TABLE.find((row) => row.family === 'gpt-image-2')?.rates).toEqual({ textInput: 5, imageInput: 8, imageOutput: 30 });
	});

	test('OpenAI itself: the table, dated snapshots too; models without a row: none', () => {
		expect(pricingFor('gpt-image-2', 'openai')?.rates).toEqual({ textInput: 5, imageInput: 8, imageOutput: 30 });
		expect(pricingFor('gpt-image-2-2026-04-21', 'openai')?.rates).toEqual({ textInput: 5, imageInput: 8, imageOutput: 30 });
		expect(pricingFor('gpt-image-2', 'openai')?.source).toBe('OpenAI API pricing (openai.com/api/pricing), May 2026 prices, read 2026-12-03');
		for (const model of ['gpt-image-2.5-flare', 'gpt-image-2.6-sunburst', 'dall-e-3', 'gpt-image-9-preview']) {
			expect(pricingFor(model, 'openai')).toBeUndefined();
		}
	});

	test('Azure OpenAI and compatible servers: none unless the node gives prices, which win everywhere', () => {
		const given = { textInput: 1, imageInput: 2, imageOutput: 3 };
		expect(pricingFor('gpt-image-2', 'azure')).toBeUndefined();
		expect(pricingFor('gpt-image-2', 'compatible')).toBeUndefined();
		for (const kind of ['azure', 'compatible', 'openai'] as const) {
			expect(pricingFor('gpt-image-2', kind, given)).toEqual({ rates: given, source: PRICES_OPTION_SOURCE });
		}
		expect(pricingFor('my-local-model', 'compatible', given)?.rates).toBe(given);
	});
});

/**
 * Sends the node's requests for OpenAI (https://api.openai.com/v1) to the image server instead,
 * the way a hosts-file entry would: n8n 2.41's request helper sends through axios's default
 * instance, so an interceptor rewrites the URL after the node has built it. The node itself
 * sees a credential for OpenAI and prices the answers as OpenAI's.
 */
function routeOpenAiToServer(): () => void {
	const id = axios.interceptors.request.use((config: InternalAxiosRequestConfig) => {
		if (config.url?.startsWith('https://api.openai.com/v1/')) config.url = config.url.replace('https://api.openai.com/v1', server.baseUrl);
		return config;
	});
	return () => axios.interceptors.request.eject(id);
}

const openAiItself = () => ({ credentials: { openAiImagesApi: { apiKey: server.apiKey, baseUrl: 'https://api.openai.com/v1' } } });

describe('in the engine: requests to OpenAI priced from the table', () => {
	let unroute: () => void;
	beforeEach(() => {
		unroute = routeOpenAiToServer();
	});
	afterEach(() => unroute());

	test('gpt-image-2, 1024x1024 high: estimatedCost $0.12481 beside the usage it comes from', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a cat' }], { options: { size: '1024x1024', quality: 'high' } }, openAiItself());

		expect(run.status).toBe('success');
		expect(generations(server)).toHaveLength(1);
		expect(run.result[0].json.usage).toEqual(CAT_USAGE);
		expect(run.result[0].json.estimatedCost).toEqual(CAT_COST_DIRECT);
	});

	test('several images in one request: the cost is on the first image only, so a sum over items is right', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a cat' }, { prompt: 'a dog' }], { options: { size: '1024x1024', quality: 'low', n: 2 } }, openAiItself());

		expect(run.status).toBe('success');
		// 2 text tokens + 2 × 272 output tokens: (2 × 5 + 544 × 30) / 1M = $0.01633 per request
		expect(run.result.map((item) => (item.json.estimatedCost as { usd: number } | undefined)?.usd)).toEqual([0.01633, undefined, 0.01633, undefined]);
	});

	test('a model without a known price (gpt-image-2.5-flare, an unknown id): usage, but no estimate', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a cat', model: 'gpt-image-2.5-flare' }, { prompt: 'a cat', model: 'gpt-image-9-preview' }], { model: '={{ $json.model }}' }, openAiItself());

		expect(run.status).toBe('success');
		expect(run.result.map((item) => item.json.model)).toEqual(['gpt-image-2.5-flare', 'gpt-image-9-preview']);
		for (const item of run.result) {
			expect(item.json.usage).toMatchObject({ output_tokens: expect.any(Number) });
			expect(item.json).not.toHaveProperty('estimatedCost');
		}
	});

	test('Prices per 1M Tokens wins over the table', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'a cat' }],
			{ options: { size: '1024x1024', quality: 'high', prices: '{"textInput": 4, "imageInput": 6, "imageOutput": 25}' } },
			openAiItself(),
		);

		expect(run.status).toBe('success');
		// (2 × 4 + 4160 × 25) / 1M = 104008 / 1M
		expect(run.result[0].json.estimatedCost).toEqual({ ...CAT_COST_DIRECT, usd: 0.104008, rates: { textInput: 4, imageInput: 6, imageOutput: 25 }, source: PRICES_OPTION_SOURCE });
	});

	test('Raw Response: each successful row carries estimatedCost beside body; an error row none', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'a cat' }, { prompt: 'a cat [moderation]' }],
			{ resultFormat: 'rawResponse', options: { size: '1024x1024', quality: 'high' } },
			openAiItself(),
		);

		expect(run.status).toBe('success');
		expect(run.result.map((row) => row.json.status)).toEqual([200, 400]);
		expect(run.result[0].json).toMatchObject({ status: 200, body: { usage: CAT_USAGE }, estimatedCost: CAT_COST_DIRECT });
		expect(run.result[1].json).not.toHaveProperty('estimatedCost');
	});

	test("streamed: the final image's cost from its completed event's usage; partial images none", async () => {
		const run = await runCreateImage(server, [{ prompt: 'a cat' }], { options: { size: '1024x1024', quality: 'high', stream: true, partialImages: 2 } }, openAiItself());

		expect(run.status).toBe('success');
		expect(run.result.map((item) => item.json.partialImageIndex)).toEqual([0, 1, undefined]);
		expect(run.result.map((item) => item.json.estimatedCost)).toEqual([undefined, undefined, CAT_COST_DIRECT]);
	});

	test('streamed with Raw Response: the row sums the completed events of its request', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a cat' }], { resultFormat: 'rawResponse', options: { size: '1024x1024', quality: 'high', stream: true, n: 2 } }, openAiItself());

		expect(run.status).toBe('success');
		expect(run.result).toHaveLength(1);
		// Each completed event reports its own image: 2 text + 4160 output tokens, twice.
		expect(run.result[0].json.estimatedCost).toEqual({ ...CAT_COST_DIRECT, usd: 0.24962, textInputTokens: 4, outputTokens: 8320 });
	});
});

describe('in the engine: servers other than OpenAI', () => {
	test('a compatible server without prices: usage, no estimate; with Prices per 1M Tokens: the estimate', async () => {
		const run = await runCreateImage(server, [{ prompt: 'a cat', prices: '' }, { prompt: 'a cat', prices: '{"textInput": 1, "imageInput": 0, "imageOutput": 10}' }], {
			options: { size: '1024x1024', quality: 'high', prices: '={{ $json.prices }}' },
		});

		expect(run.status).toBe('success');
		expect(run.result[0].json.usage).toEqual(CAT_USAGE);
		expect(run.result[0].json).not.toHaveProperty('estimatedCost');
		// (2 × 1 + 4160 × 10) / 1M
		expect(run.result[1].json.estimatedCost).toEqual({ ...CAT_COST_DIRECT, usd: 0.041602, rates: { textInput: 1, imageInput: 0, imageOutput: 10 }, source: PRICES_OPTION_SOURCE });
	});

	test('Azure OpenAI without prices: no estimate; with them: the estimate', async () => {
		const azure = { credentials: { azureOpenAiImagesApi: { endpoint: server.url, apiKey: server.apiKey, apiStyle: 'deployments', apiVersion: '2025-04-01-preview' } } };
		const settings = { authentication: 'azureOpenAiImagesApi' as const, options: { size: '1024x1024', quality: 'high' } };
		const plain = await runCreateImage(server, [{ prompt: 'a cat' }], settings, azure);
		const priced = await runCreateImage(server, [{ prompt: 'a cat' }], { ...settings, options: { ...settings.options, prices: { textInput: 5, imageInput: 8, imageOutput: 30 } } }, azure);

		expect(plain.status).toBe('success');
		expect(plain.result[0].json.usage).toEqual(CAT_USAGE);
		expect(plain.result[0].json).not.toHaveProperty('estimatedCost');
		expect(priced.result[0].json.estimatedCost).toEqual({ ...CAT_COST_DIRECT, source: PRICES_OPTION_SOURCE });
	});

	test('Edit Image takes Prices per 1M Tokens too', async () => {
		const png = await sharp({ create: { width: 1024, height: 1024, channels: 3, background: '#336699' } }).png().toBuffer();
		const run = await runEditImage(server, [{ json: { prompt: 'a cat' }, binary: { data: file(png, 'image/png', 'in.png') } }], {
			options: { size: '1024x1024', quality: 'high', prices: '{"textInput": 5, "imageInput": 8, "imageOutput": 30}' },
		});

		expect(run.status).toBe('success');
		expect(edits(server)).toHaveLength(1);
		const cost = run.result[0].json.estimatedCost as { usd: number; outputTokens: number; source: string };
		expect(cost).toMatchObject({ source: PRICES_OPTION_SOURCE, outputTokens: (run.result[0].json.usage as { output_tokens: number }).output_tokens });
		expect(cost.usd).toBeGreaterThan(0);
	});
});

describe('Prices per 1M Tokens: checked before anything is sent', () => {
	test.each([
		['text that is not JSON', 'five dollars', /\[item 1\] Options › Prices per 1M Tokens: Unexpected token .*; expected a JSON object such as \{"textInput": 5, "imageInput": 8, "imageOutput": 30\}/],
		['a list', '[5, 8, 30]', /\[item 1\] Options › Prices per 1M Tokens: expected a JSON object such as .*, got \[5,8,30\]/],
		['an unknown key', '{"textInput": 5, "imageInput": 8, "imageOutput": 30, "cachedImageInput": 2}', /\[item 1\] Options › Prices per 1M Tokens: unknown key "cachedImageInput"; accepted: textInput, imageInput, imageOutput/],
		['a missing key', '{"textInput": 5, "imageOutput": 30}', /\[item 1\] Options › Prices per 1M Tokens › imageInput: is missing; give all three rates/],
		['a negative rate', '{"textInput": 5, "imageInput": -8, "imageOutput": 30}', /\[item 1\] Options › Prices per 1M Tokens › imageInput: -8 is not accepted; expected US dollars per 1M tokens, 0 or more/],
		['a rate that is not a number', '{"textInput": 5, "imageInput": 8, "imageOutput": "thirty"}', /\[item 1\] Options › Prices per 1M Tokens › imageOutput: "thirty" is not a number/],
		['a rate too large to be a number', '{"textInput": 5, "imageInput": 8, "imageOutput": "1e400"}', /\[item 1\] Options › Prices per 1M Tokens › imageOutput: "1e400" is not accepted/],
	])('%s: the item and field named, 0 requests sent', async (_case, prices, message) => {
		const run = await runCreateImage(server, [{ prompt: 'a cat', prices: '' }, { prompt: 'a dog', prices }], { options: { prices: '={{ $json.prices }}' } });

		expect(run.status).toBe('error');
		expect(run.error?.message).toMatch(message);
		expect(server.requests).toHaveLength(0);
	});

	test('with Continue (using error output): the bad item is an error item naming the field, the others run', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'a cat', prices: '{"textInput": 1, "imageInput": 1, "imageOutput": 1}' }, { prompt: 'a dog', prices: '{"textInput": -1}' }],
			{ options: { prices: '={{ $json.prices }}' }, onError: 'continueErrorOutput' },
		);

		expect(run.status).toBe('success');
		expect(run.result).toHaveLength(1);
		expect(run.result[0].json.estimatedCost).toMatchObject({ source: PRICES_OPTION_SOURCE });
		expect(run.errors.map((item) => item.pairedItem)).toEqual([{ item: 1 }]);
		expect(errorMessage(run.errors[0])).toBe('[item 1] Options › Prices per 1M Tokens › textInput: -1 is not accepted; expected US dollars per 1M tokens, 0 or more');
		expect(itemError(run.errors[0])?.field).toBe('Options › Prices per 1M Tokens › textInput');
		expect(generations(server)).toHaveLength(1);
	});

	test('numeric text is taken as readNumber takes it; {} and an empty value mean the table', async () => {
		const run = await runCreateImage(
			server,
			[{ prompt: 'a cat', prices: '{"textInput": " 5 ", "imageInput": "8", "imageOutput": "30.0"}' }, { prompt: 'a cat', prices: '{}' }],
			{ options: { size: '1024x1024', quality: 'high', prices: '={{ $json.prices }}' } },
		);

		expect(run.status).toBe('success');
		expect(run.result[0].json.estimatedCost).toEqual({ ...CAT_COST_DIRECT, source: PRICES_OPTION_SOURCE });
		// A compatible server: no table price applies, so {} gives no estimate.
		expect(run.result[1].json).not.toHaveProperty('estimatedCost');
	});
});
