import type { IDataObject } from 'n8n-workflow';

import { OUTPUT_FORMAT_RULES, type ModelFamily } from './models';
import { OPTION_FIELDS, type ImageOptions, type ItemConfig } from './parameters';

/**
 * The request bodies for one item, as JSON objects with the API's field names (OPTION_FIELDS;
 * a dotted name is a nested object), for generations and edits alike (edits send them as form
 * fields). `model` is always sent (the old server default is gone) unless the route names it
 * (Azure's dated routes); options the user did not set are left to the API's defaults;
 * `extraBody` wins over both. When `n` is more than the model makes in one request (dall-e-3:
 * 1; SVG output: 1), the item is split.
 */
export function planRequests(config: ItemConfig, family: ModelFamily | undefined, modelInBody = true): IDataObject[] {
	const body: IDataObject = modelInBody ? { model: config.model, prompt: config.prompt } : { prompt: config.prompt };
	for (const [key, { apiName }] of Object.entries(OPTION_FIELDS) as Array<[keyof ImageOptions, { apiName: string }]>) {
		if (config[key] !== undefined) setField(body, apiName, config[key]);
	}
	Object.assign(body, config.extraBody);

	const total = typeof body.n === 'number' ? body.n : 1;
	// SVG output makes one image per request (the reference: "SVG generation requires n=1").
	const formatLimit = OUTPUT_FORMAT_RULES[String(body.output_format)]?.maxImagesPerRequest;
	const perRequest = Math.min(family?.maxImagesPerRequest ?? total, formatLimit ?? total);
	if (total <= perRequest) return [body];
	const requests: IDataObject[] = [];
	for (let first = 0; first < total; first += perRequest) {
		requests.push({ ...body, n: Math.min(perRequest, total - first) });
	}
	return requests;
}

/** Sets a body field; a dotted API name ("svg.reasoning.effort") is a path of nested objects. */
export function setField(body: IDataObject, apiName: string, value: unknown): void {
	const path = apiName.split('.');
	let target = body;
	for (const key of path.slice(0, -1)) {
		if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
		target = target[key] as IDataObject;
	}
	target[path[path.length - 1]] = value as IDataObject[string];
}
