/**
 * An outside judge: every images request the server receives (direct, or a batch line) is checked
 * against OpenAI's own published schemas, beside the server's own rules: `CreateImageRequest`
 * (POST /images/generations), `CreateImageEditRequest` (multipart edits; `image` or the
 * `image[]` parts the spec's examples and the SDK send), `EditImageBodyJsonParam` with
 * `ImageRefParam` (JSON edits). The schemas are vendored in openapi/images-schemas.json (openai/
 * openai-openapi f85dbe2, 2026-08-21) and checked with Ajv 8.
 *
 * Two adjustments, both by name, nothing switched off:
 * - Unknown fields are refused: each request schema gets `additionalProperties: false` (the spec
 *   leaves it open; the API refuses unknown parameters).
 * - Fields and values newer than that spec, as the newest openai types have them (openai 7.59.0
 *   `resources/images.d.ts`, ImageGenerateParamsBase / ImageEditParamsBase), are added: newerFields
 *   and NEWER_VALUES below. JSON edits get the same newer fields as multipart edits, since those types model edits
 *   only as multipart; the spec's JSON `size` enum is kept as published.
 * The spec's OpenAPI 3.0 `nullable: true` is read as "or null" (anyOf with {type: null}).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

export type JudgedShape = 'CreateImageRequest' | 'CreateImageEditRequest' | 'EditImageBodyJsonParam';

/** One request that broke the published schema. */
export interface SchemaViolation {
	schema: JudgedShape;
	method: string;
	path: string;
	/** Who sent it (RecordedRequest.origin) and, for a batch line, its custom_id. */
	origin: 'client' | 'batch' | 'fetch';
	customId?: string;
	/** Ajv's findings, e.g. "/n must be integer", "must NOT have additional property 'colour'". */
	errors: string[];
}

/** The source the vendored schemas came from (for messages). */
export const SCHEMA_SOURCE = 'openai/openai-openapi f85dbe2 (2026-08-21)';

const SPEC = JSON.parse(readFileSync(join(__dirname, 'openapi', 'images-schemas.json'), 'utf8')) as {
	components: { schemas: Record<string, Record<string, unknown>> };
};

const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });
/** openai 7.59.0 ImageGenerateParams.Svg (model required) / ImageEditParams.Svg (model optional). */
const svg = (modelRequired: boolean) =>
	nullable({
		type: 'object',
		properties: {
			model: { type: 'string' },
			reasoning: nullable({ type: 'object', properties: { effort: { type: 'string', enum: ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] } }, additionalProperties: false }),
		},
		...(modelRequired ? { required: ['model'] } : {}),
		additionalProperties: false,
	});
/** Fields of openai 7.59.0's ImageGenerateParamsBase / ImageEditParamsBase that the spec lacks. */
const newerFields = (edit: boolean): Record<string, Record<string, unknown>> => ({
	complexity: nullable({ type: 'string', enum: ['low', 'medium', 'high'] }),
	frame_count: nullable({ type: 'integer' }),
	frame_duration_ms: nullable({ type: 'integer' }),
	safety_identifier: nullable({ type: 'string' }),
	svg: svg(!edit),
});
/** Values of openai 7.59.0 enums that the spec lacks (output_format gif, svg; quality xhigh, max). */
const NEWER_VALUES: Record<string, string[]> = { output_format: ['gif', 'svg'], quality: ['xhigh', 'max'] };

function withNulls(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(withNulls);
	if (!value || typeof value !== 'object') return value;
	const out: Record<string, unknown> = {};
	for (const [key, inner] of Object.entries(value)) out[key] = withNulls(inner);
	if (out.nullable === true) {
		delete out.nullable;
		return nullable(out);
	}
	delete out.nullable;
	return out;
}

/** Adds newer enum values wherever the property's schema (or a branch of it) has an enum. */
function widenEnum(schema: Record<string, unknown>, values: string[]): void {
	if (Array.isArray(schema.enum)) schema.enum = [...new Set([...(schema.enum as string[]), ...values])];
	for (const branch of (schema.anyOf as Array<Record<string, unknown>> | undefined) ?? []) widenEnum(branch, values);
}

function requestSchema(name: JudgedShape, extra: Record<string, Record<string, unknown>> = {}): Record<string, unknown> {
	const schema = withNulls(SPEC.components.schemas[name]) as { properties: Record<string, Record<string, unknown>> } & Record<string, unknown>;
	for (const [field, values] of Object.entries(NEWER_VALUES)) if (schema.properties[field]) widenEnum(schema.properties[field], values);
	Object.assign(schema.properties, newerFields(name !== 'CreateImageRequest'), extra);
	schema.additionalProperties = false;
	return schema;
}

let compiled: Record<JudgedShape, ValidateFunction> | undefined;

/**
 * The compiled validators (built once per process: about 0.5 s of CPU, so the server builds them
 * when it starts listening, not while a request waits).
 */
export function validators(): Record<JudgedShape, ValidateFunction> {
	if (compiled) return compiled;
	const ajv = new Ajv({ strict: false, allErrors: true });
	ajv.addFormat('binary', true);
	ajv.addFormat('uri', (text: string) => /^[a-z][a-z0-9+.-]*:\S+$/i.test(text));
	const schemas = withNulls(SPEC.components.schemas) as Record<string, unknown>;
	schemas.CreateImageRequest = requestSchema('CreateImageRequest');
	// Multipart edits: the markup file (openai 7.59.0 ImageEditParamsBase.markup), a binary part like mask.
	schemas.CreateImageEditRequest = requestSchema('CreateImageEditRequest', { markup: { type: 'string', format: 'binary' } });
	schemas.EditImageBodyJsonParam = requestSchema('EditImageBodyJsonParam');
	ajv.addSchema({ $id: 'openai-images', components: { schemas } });
	const get = (name: JudgedShape) => ajv.getSchema(`openai-images#/components/schemas/${name}`)!;
	compiled = { CreateImageRequest: get('CreateImageRequest'), CreateImageEditRequest: get('CreateImageEditRequest'), EditImageBodyJsonParam: get('EditImageBodyJsonParam') };
	return compiled;
}

function describe(error: ErrorObject): string {
	const at = error.instancePath || '(body)';
	if (error.keyword === 'additionalProperties') return `${at} must NOT have additional property '${String(error.params.additionalProperty)}'`;
	if (error.keyword === 'not') return `${at} must NOT match the schema's "not" (ImageRefParam: not both image_url and file_id)`;
	if (error.keyword === 'enum') return `${at} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
	return `${at} ${error.message ?? error.keyword}`;
}

/**
 * Checks a request body against a published schema. In: the schema's name and the body as JSON
 * (a multipart edit as its typed text fields plus `image` / `image[]` / `mask` / `markup`
 * placeholders, see multipartAsJson). Out: the findings (empty when the body conforms); anyOf
 * noise is reduced to the deepest, most specific messages.
 */
export function judge(schema: JudgedShape, body: unknown): string[] {
	const validate = validators()[schema];
	if (validate(body)) return [];
	const all = validate.errors ?? [];
	// A branch whose type does not match says nothing with its other keywords (enum, format...).
	const branch = (e: ErrorObject) => `${e.instancePath}|${e.schemaPath.replace(/\/[^/]+$/, '')}`;
	const mistyped = new Set(all.filter((e) => e.keyword === 'type').map(branch));
	const errors = all.filter((e) => e.keyword === 'type' || !mistyped.has(branch(e)));
	// anyOf reports every branch. Keep the specific findings: drop "must match a schema in anyOf",
	// and a branch's "must be <type>", when a more specific finding sits at or below that path;
	// several "must be <type>" at one path become one ("must be integer or null").
	const specific = (e: ErrorObject) => e.keyword !== 'anyOf' && e.keyword !== 'type';
	const below = (e: ErrorObject, keep: (o: ErrorObject) => boolean) => errors.some((o) => o !== e && keep(o) && o.instancePath.startsWith(e.instancePath));
	const useful: string[] = [];
	for (const e of errors) {
		if (e.keyword === 'anyOf' && below(e, (o) => o.keyword !== 'anyOf')) continue;
		if (e.keyword === 'type') {
			if (below(e, specific)) continue;
			const types = errors.filter((o) => o.keyword === 'type' && o.instancePath === e.instancePath).map((o) => String(o.params.type));
			useful.push(`${e.instancePath || '(body)'} must be ${[...new Set(types)].join(' or ')}`);
			continue;
		}
		useful.push(describe(e));
	}
	return [...new Set(useful)];
}

/**
 * A multipart edit as the JSON object its schema describes: the typed text fields (numbers and
 * booleans as such, `svg[model]` nested), `image` for one `image` part, or `image` as an array
 * for `image[]` parts (the spec's and the SDK's convention), `mask` and `markup` as placeholders.
 */
export function multipartAsJson(fields: Record<string, unknown>, files: Array<{ name: string }>): Record<string, unknown> {
	const body: Record<string, unknown> = { ...fields };
	const several = files.filter((f) => f.name === 'image[]');
	const single = files.filter((f) => f.name === 'image');
	if (several.length) body.image = several.map(() => '<binary>');
	else if (single.length === 1) body.image = '<binary>';
	else if (single.length > 1) body.image = single.map(() => '<binary>');
	for (const file of files) if (file.name !== 'image' && file.name !== 'image[]') body[file.name] = '<binary>';
	return body;
}
