import { NodeApiError, type INode, type JsonObject } from 'n8n-workflow';

import { findModelFamily, isRetired } from '../models';
import type { Endpoint } from './endpoint';
import type { ApiAnswer } from './http';
import { header, MAX_HONOURED_WAIT_MS, unknownOutcomeNote } from './retry';

/** What an error answer says, whatever its shape (OpenAI, Azure, FastAPI, plain text, HTML). */
export interface ApiErrorDetails {
	message: string;
	code?: string;
	type?: string;
	param?: string;
	/** Azure content filter: the categories that fired. */
	filteredCategories?: string[];
	/** Azure: `inner_error.code` (e.g. ResponsibleAIPolicyViolation), beside the API's own type and code. */
	innerCode?: string;
	/** Azure: `inner_error.revised_prompt`, the prompt as the service rewrote it. */
	revisedPrompt?: string;
}

const MAX_TEXT = 500;

/**
 * Image data in a server's text: runs of 40 or more base64 characters (an image cut off inside
 * `b64_json`, a data URL), and the answer reader's placeholders for decoded images (a NUL then
 * `image:N`, raw or JSON-escaped as `\u0000image:N`; transport/answer.ts).
 */
const IMAGE_DATA = /(?:\u0000|\\u0000)image:\d+|[A-Za-z0-9+/]{40,}={0,2}/g;

/**
 * A server's text as it may be quoted in an error: on one line, every run of image data (see
 * IMAGE_DATA) replaced by `…`, at most `max` characters (then `…`). Every error that quotes
 * what a server sent goes through here, so that no error carries image data.
 */
export function quoteServerText(text: string, max = MAX_TEXT): string {
	const oneLine = text.replace(IMAGE_DATA, '…').replace(/\s+/g, ' ').trim();
	return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

const clip = (text: string) => quoteServerText(text);

function textOf(value: unknown): string | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Text of an HTML page: its title and visible text, without tags. */
function htmlText(html: string): string {
	const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
	const body = html
		.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
		.replace(/<[^>]+>/g, ' ')
		.replace(/&nbsp;/g, ' ');
	const text = clip(body);
	return title && !text.startsWith(title.trim()) ? `${title.trim()}: ${text}` : text;
}

function filteredCategories(results: unknown): string[] | undefined {
	if (!results || typeof results !== 'object') return undefined;
	const fired = Object.entries(results as Record<string, { filtered?: boolean; severity?: string }>)
		.filter(([, result]) => result && typeof result === 'object' && result.filtered)
		.map(([category, result]) => (result.severity ? `${category} (${result.severity})` : category));
	return fired.length ? fired : undefined;
}

export function describeApiError(body: unknown, status: number): ApiErrorDetails {
	if (typeof body === 'string' || Buffer.isBuffer(body)) {
		const text = body.toString();
		if (/^\s*</.test(text)) return { message: htmlText(text) || `HTTP ${status}` };
		try {
			return describeApiError(JSON.parse(text), status);
		} catch {
			return { message: clip(text) || `HTTP ${status}` };
		}
	}
	if (!body || typeof body !== 'object') return { message: `HTTP ${status} with an empty body` };
	const object = body as JsonObject;
	const error = object.error;
	if (error && typeof error === 'object' && !Array.isArray(error)) {
		const e = error as JsonObject;
		// Azure names it innererror for chat and inner_error for images.
		const inner = (e.innererror ?? e.inner_error ?? {}) as JsonObject;
		return {
			message: clip(textOf(e.message) ?? JSON.stringify(e)),
			code: textOf(e.code),
			type: textOf(e.type),
			param: textOf(e.param),
			filteredCategories: filteredCategories(inner.content_filter_results ?? e.content_filter_results),
			innerCode: textOf(inner.code),
			revisedPrompt: textOf(inner.revised_prompt),
		};
	}
	if (typeof error === 'string') return { message: clip(error) };
	if ('detail' in object) {
		const detail = object.detail;
		if (Array.isArray(detail)) {
			const parts = detail.map((d) => {
				const entry = (d ?? {}) as JsonObject;
				const where = Array.isArray(entry.loc) ? `${entry.loc.join('.')}: ` : '';
				return `${where}${textOf(entry.msg) ?? JSON.stringify(d)}`;
			});
			return { message: clip(parts.join('; ')) };
		}
		return { message: clip(textOf(detail) ?? `HTTP ${status}`) };
	}
	if (typeof object.message === 'string') return { message: clip(object.message) };
	return { message: clip(JSON.stringify(body)) };
}

const RETIRED_HINT = /model_not_found|does not exist|not found|deprecated|shut down|no longer/i;

/**
 * The error message for an HTTP error answer, with the retirement of known models explained.
 * `server` is the kind of server that answered: OpenAI's retirement is OpenAI's fact, so on any
 * other server (compatible, local, Azure) its own words come first and the note follows.
 */
export function apiErrorMessage(details: ApiErrorDetails, status: number, model: string, server: Endpoint['kind'] = 'openai'): string {
	const family = findModelFamily(model);
	const retired =
		isRetired(family) &&
		(status === 404 || status === 400) &&
		(details.code === 'model_not_found' || (details.message.includes(model) && RETIRED_HINT.test(details.message)));
	let message = details.message;
	if (retired) {
		const { date, replacement } = family!.retirement!;
		message =
			server === 'openai'
				? `The model "${model}" was retired by OpenAI on ${date}; use ${replacement} instead (the API answered: ${details.message})`
				: `${details.message} (note: OpenAI retired its model "${model}" on ${date} and names ${replacement} as its replacement)`;
	}
	if (details.filteredCategories?.length) {
		message += ` [content filter: ${details.filteredCategories.join(', ')}]`;
	}
	return message;
}

/**
 * The item's error for an HTTP error answer (any status; `attempts` requests were sent): the
 * API's message with retirement, attempt, wait and billing notes; the description lists the
 * status, type, code and param. `context.apiError` keeps them as data (status, type, code,
 * param, attempts, requestId from x-request-id or apim-request-id, outcomeUnknown,
 * retryAfterSeconds) for the continue modes' error item (errorItem.ts).
 */
export function buildApiError(
	node: INode,
	itemIndex: number,
	status: number,
	body: unknown,
	model: string,
	attempts: number,
	notes: Partial<Pick<ApiAnswer, 'refusedWaitMs' | 'outcomeUnknown' | 'headers'>> = {},
	server?: Endpoint['kind'],
): NodeApiError {
	const { refusedWaitMs, outcomeUnknown } = notes;
	const details = describeApiError(body, status);
	const attemptsNote = attempts > 1 ? ` (after ${attempts} attempts)` : '';
	const waitNote =
		refusedWaitMs === undefined
			? ''
			: ` (the provider asks to wait ${Math.round(refusedWaitMs / 1000)} s, longer than the ${MAX_HONOURED_WAIT_MS / 60_000} minutes this node waits)`;
	const billingNote = outcomeUnknown ? unknownOutcomeNote(outcomeUnknown.retryHeldBack) : '';
	const message = `${apiErrorMessage(details, status, model, server)}${attemptsNote}${waitNote}${billingNote}`;
	const descriptionParts = [
		`HTTP ${status}`,
		details.type && `type: ${details.type}`,
		details.code && `code: ${details.code}`,
		details.param && `param: ${details.param}`,
		details.innerCode && `inner code: ${details.innerCode}`,
		details.revisedPrompt && `revised prompt: ${clip(details.revisedPrompt)}`,
	].filter(Boolean);
	const error = new NodeApiError(
		node,
		{ message, status, ...(details.code ? { code: details.code } : {}) } as JsonObject,
		{ message, description: descriptionParts.join(', '), httpCode: String(status), itemIndex },
	);
	error.context.apiError = {
		status,
		...details,
		attempts,
		requestId: header(notes.headers, 'x-request-id') ?? header(notes.headers, 'apim-request-id'),
		outcomeUnknown: outcomeUnknown !== undefined,
		retryAfterSeconds: refusedWaitMs === undefined ? undefined : Math.round(refusedWaitMs / 1000),
	} as unknown as JsonObject;
	return error;
}
