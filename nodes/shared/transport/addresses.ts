/**
 * The credentials' address fields, reduced to what the node needs: users paste whole request
 * URLs (a portal's "target URI", a curl example) into them. One set of rules, used by the node's
 * requests and list search (the functions) and by the credential tests (the expressions).
 */

/** A path and query part to keep apart from the origin: `scheme://host[:port]`, then the path. */
const ADDRESS = /^(https?:\/\/[^/?#\s]+)([^?#\s]*)/i;
/** API paths a pasted Base URL ends with, after the base that the node appends `/images/...` to. */
const API_PATH = /\/(?:images(?:\/(?:generations|edits|variations))?|models(?:\/.*)?|chat\/completions|completions|embeddings|responses)$/i;
/** Azure: everything from the first `/openai` segment on (`/openai/deployments/...`, `/openai/v1/...`). */
const AZURE_API_PATH = /\/openai(?:\/.*)?$/i;
const TRAILING_SLASHES = /\/+$/;

/** An address field that cannot be understood: its message names the field and the form expected. */
export class AddressError extends Error {
	constructor(
		/** The credential field at fault, as the credential's panel names it (e.g. "Base URL"). */
		readonly field: string,
		message: string,
	) {
		super(message);
	}
}

function split(raw: string, field: string, expected: string): { origin: string; path: string } {
	const match = ADDRESS.exec(raw.trim());
	// The value itself is not repeated: a key pasted into the wrong field must not end up in an error.
	if (!match) throw new AddressError(field, `${field}: not an http:// or https:// address; expected ${expected}`);
	return { origin: match[1], path: match[2].replace(TRAILING_SLASHES, '') };
}

/**
 * An OpenAI-compatible Base URL as the base the node appends `/images/generations` to: query and
 * fragment dropped, a pasted API path (`/images/generations`, `/images/edits`, `/models[/id]`,
 * `/chat/completions` ...) cut off, trailing slashes removed; a bare host gets `/v1`.
 * e.g. `http://localhost:8080/v1/images/generations?x=1` -> `http://localhost:8080/v1`.
 * Throws AddressError when the value is not an http(s) address.
 */
export function reduceBaseUrl(raw: string, field = 'Base URL'): string {
	const { origin, path } = split(raw, field, 'the API base such as https://api.openai.com/v1 or http://localhost:8080/v1');
	if (path === '') return `${origin}/v1`;
	return `${origin}${path.replace(API_PATH, '').replace(TRAILING_SLASHES, '')}`;
}

/**
 * An Azure OpenAI Endpoint as the resource's address: query and fragment dropped, everything from
 * `/openai` on cut off (a dated or v1 target URI pasted whole), trailing slashes removed; a path
 * before `/openai` (a gateway's prefix) is kept. e.g.
 * `https://res.openai.azure.com/openai/deployments/d/images/generations?api-version=...` ->
 * `https://res.openai.azure.com`. Throws AddressError when the value is not an http(s) address.
 */
export function reduceAzureEndpoint(raw: string, field = 'Endpoint'): string {
	const { origin, path } = split(raw, field, 'the resource address such as https://my-resource.openai.azure.com');
	return `${origin}${path.replace(AZURE_API_PATH, '').replace(TRAILING_SLASHES, '')}`;
}

/**
 * The same reductions as n8n expressions over a credential field, for the credentials'
 * declarative `test` requests (which cannot call code). A value that is not an address gives
 * an empty base URL, and the test fails.
 */
export function reduceBaseUrlExpression(value: string): string {
	return `={{ (m => m ? m[1] + (m[2].replace(${TRAILING_SLASHES}, "") === "" ? "/v1" : m[2].replace(${TRAILING_SLASHES}, "").replace(${API_PATH}, "").replace(${TRAILING_SLASHES}, "")) : "")(${ADDRESS}.exec((${value}).trim())) }}`;
}

/** reduceAzureEndpoint as an n8n expression over a credential field (see reduceBaseUrlExpression). */
export function reduceAzureEndpointExpression(value: string): string {
	return `={{ (m => m ? m[1] + m[2].replace(${TRAILING_SLASHES}, "").replace(${AZURE_API_PATH}, "").replace(${TRAILING_SLASHES}, "") : "")(${ADDRESS}.exec((${value}).trim())) }}`;
}
