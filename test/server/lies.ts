/**
 * Answers that lie: the shapes relays, proxies and local servers really send back (images-api.md,
 * "What servers really send back"), asked for by tags in the prompt, applied to a success answer.
 *
 *   [lie:b64-empty-url]   each image: "b64_json": "" next to a url of the real file
 *   [lie:b64-null-url]    each image: "b64_json": null next to a url of the real file
 *   [lie:b64-empty]       each image: "b64_json": "" and no url
 *   [lie:data-url]        each image: b64_json holds a data URL, "data:image/<type>;base64,<bytes>"
 *   [lie:url-html]        each image: only a url, which serves an HTML sign-in page with HTTP 200
 *   [lie:url-json]        each image: only a url, which serves a JSON error with HTTP 200
 *   [lie:url-empty]       each image: only a url, which serves 0 bytes with HTTP 200
 *   [lie:error-200]       HTTP 200 with {"error": {...relay_error, insufficient_user_quota}} and no data
 *   [lie:html-200]        HTTP 200 with a gateway's HTML sign-in page (text/html)
 *   [lie:text-200]        HTTP 200 with plain text
 *   [lie:created=N]       `created` set to N (e.g. 1764428076000, in ms); =null, ="soon" also work
 *   [lie:not-found-local] 404 {"error": "model '<model>' not found"}, a local server's (Ollama's) words
 *   [lie:svg-prolog]      each image (an SVG): its text after an XML declaration, a comment and a
 *                         DOCTYPE, as SVG files written by a model or a tool often begin (no lie:
 *                         still an SVG file)
 *
 * Several tags may be combined; the answer-replacing ones (error-200, html-200, text-200,
 * not-found-local) win over the image ones.
 */

export const RELAY_QUOTA_ERROR = {
	error: { message: 'Upstream channel quota exhausted, please top up', type: 'relay_error', code: 'insufficient_user_quota' },
};
export const SIGN_IN_PAGE =
	'<!DOCTYPE html><html><head><title>Sign in - Gateway</title></head><body><h1>Sign in to continue</h1><form action="/login"></form></body></html>';
export const PLAIN_TEXT_200 = 'upstream connect error or disconnect/reset before headers';
export const SVG_PROLOG =
	'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' +
	'<!-- Written by the SVG author model: a flat illustration in three colours, simple shapes, no text, scaled to its view box. -->\n' +
	'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n';
export const FILE_JSON_ERROR = { error: { code: 'AuthenticationFailed', message: 'Signature expired' } };

const LIE_RE = /\[lie:([a-z0-9-]+)(?:=([^\]]*))?\]/g;

export interface Lies {
	names: Set<string>;
	/** `created` to send instead (undefined: unchanged). */
	created?: { value: unknown };
}

export function parseLies(prompt: string): Lies | undefined {
	const names = new Set<string>();
	let created: Lies['created'];
	for (const match of prompt.matchAll(LIE_RE)) {
		if (match[1] === 'created') {
			const raw = match[2] ?? 'null';
			created = { value: raw === 'null' ? null : /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw };
		} else names.add(match[1]);
	}
	return names.size || created ? { names, created } : undefined;
}

export interface StoredFile {
	buffer: Buffer;
	contentType: string;
}

export interface LieAnswer {
	status: number;
	body: unknown;
	contentType?: string;
}

/**
 * The answer to send instead of `successJson` (the server's honest success body, as JSON text).
 * `store` keeps a file and gives its URL (the image's own bytes when called without arguments).
 */
export function applyLies(
	lies: Lies,
	successJson: string,
	image: { b64: string; contentType: string },
	model: string,
	store: (file?: StoredFile, extension?: string) => string,
): LieAnswer {
	const { names } = lies;
	if (names.has('not-found-local')) return { status: 404, body: { error: `model '${model}' not found` } };
	if (names.has('error-200')) return { status: 200, body: RELAY_QUOTA_ERROR };
	if (names.has('html-200')) return { status: 200, body: SIGN_IN_PAGE, contentType: 'text/html; charset=utf-8' };
	if (names.has('text-200')) return { status: 200, body: PLAIN_TEXT_200, contentType: 'text/plain; charset=utf-8' };

	const answer = JSON.parse(successJson) as { created?: unknown; data?: Array<Record<string, unknown>> };
	if (lies.created) answer.created = lies.created.value;
	for (const entry of answer.data ?? []) {
		if (names.has('b64-empty-url') || names.has('b64-null-url')) {
			entry.url ??= store();
			entry.b64_json = names.has('b64-null-url') ? null : '';
		} else if (names.has('b64-empty')) {
			entry.b64_json = '';
			delete entry.url;
		} else if (names.has('svg-prolog')) {
			entry.b64_json = Buffer.from(SVG_PROLOG + Buffer.from(image.b64, 'base64').toString('utf8')).toString('base64');
			delete entry.url;
		} else if (names.has('data-url')) {
			entry.b64_json = `data:${image.contentType};base64,${image.b64}`;
			delete entry.url;
		} else if (names.has('url-html') || names.has('url-json') || names.has('url-empty')) {
			delete entry.b64_json;
			entry.url = names.has('url-html')
				? store({ buffer: Buffer.from(SIGN_IN_PAGE), contentType: 'text/html; charset=utf-8' }, 'png')
				: names.has('url-json')
					? store({ buffer: Buffer.from(JSON.stringify(FILE_JSON_ERROR)), contentType: 'application/json' }, 'png')
					: store({ buffer: Buffer.alloc(0), contentType: 'image/png' }, 'png');
		}
	}
	return { status: 200, body: JSON.stringify(answer), contentType: 'application/json' };
}
