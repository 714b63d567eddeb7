import type { IDataObject, INodeExecutionData, NodeApiError, NodeOperationError } from 'n8n-workflow';

/** What buildApiError (transport/errors.ts) keeps in `context.apiError`. */
interface ApiErrorContext {
	status?: number;
	type?: string;
	code?: string;
	param?: string;
	innerCode?: string;
	attempts?: number;
	requestId?: string;
	outcomeUnknown?: boolean;
	retryAfterSeconds?: number;
}

/** What connectionError (transport/http.ts) keeps in `context.connectionError`. */
interface ConnectionErrorContext {
	code?: string | null;
	attempts?: number;
	timedOut?: boolean;
	outcomeUnknown?: boolean;
}

/**
 * The JSON of a failed item, in both continue modes: `{ error: { … } }`, the shape of n8n's
 * HTTP Request node (its `error` is an object: `$json.error.message`, `$json.error.status`).
 * `error` holds `message`, `description` (when there is one), `itemIndex`, `outcomeUnknown`
 * (true when the request may have been made and billed without an answer: a timeout, a
 * connection lost after sending, a gateway timeout) and, when known: the HTTP `status`, the
 * API's `type`, `code` and `param` (a transport failure: its `code`, e.g. ECONNREFUSED, and
 * `timedOut`), `innerCode` (Azure), `attempts`, `requestId` (the answer's x-request-id or
 * apim-request-id), `retryAfterSeconds` (a wait the node would not sit out), and for input the
 * node refused before sending, `field` (the parameter, e.g. "Options › Size").
 * Only `error` is a key, so n8n 1.x and 2.x both route the item to the error output; no
 * `error` property on the item itself, since n8n replaces such an item's JSON by its message.
 * Nothing here holds the API key or image data: messages are clipped, bodies are not kept.
 */
export interface ItemErrorDetails {
	message: string;
	description?: string;
	itemIndex: number;
	field?: string;
	status?: number;
	type?: string;
	code?: string;
	param?: string;
	innerCode?: string;
	timedOut?: boolean;
	attempts?: number;
	requestId?: string;
	retryAfterSeconds?: number;
	outcomeUnknown: boolean;
}

/** See ItemErrorDetails: the failed item's JSON, `{ error: details }`, with unknown fields left out. */
export function errorJson(itemIndex: number, error: NodeApiError | NodeOperationError): IDataObject {
	const context = (error.context ?? {}) as { apiError?: ApiErrorContext; connectionError?: ConnectionErrorContext; field?: string };
	const api = context.apiError;
	const connection = context.connectionError;
	const details: ItemErrorDetails = {
		message: error.message,
		description: error.description ?? undefined,
		itemIndex,
		field: context.field,
		status: api?.status,
		type: api?.type,
		code: api?.code ?? connection?.code ?? undefined,
		param: api?.param,
		innerCode: api?.innerCode,
		timedOut: connection?.timedOut,
		attempts: api?.attempts ?? connection?.attempts,
		requestId: api?.requestId,
		retryAfterSeconds: api?.retryAfterSeconds,
		outcomeUnknown: api?.outcomeUnknown ?? connection?.outcomeUnknown ?? false,
	};
	return { error: Object.fromEntries(Object.entries(details).filter(([, value]) => value !== undefined && value !== null && value !== '')) };
}

/** A failed item for the continue modes: its JSON (errorJson) and its pairedItem. */
export function errorItem(itemIndex: number, error: NodeApiError | NodeOperationError): INodeExecutionData {
	return { json: errorJson(itemIndex, error), pairedItem: { item: itemIndex } };
}
