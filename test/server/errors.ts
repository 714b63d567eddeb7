/** Error bodies as the real services send them, per route style / flavor. */
import type { ApiErrorBody } from './models';

export type ErrorStyle = 'openai' | 'azure' | 'localai' | 'vllm';

export interface ErrorAnswer {
	status: number;
	body: unknown;
	headers?: Record<string, string>;
}

export const openaiError = (status: number, e: ApiErrorBody): ErrorAnswer => ({ status, body: { error: e } });

const err = (message: string, type: string | null, param: string | null = null, code: string | null = null): ApiErrorBody => ({
	message,
	type,
	param,
	code,
});

export function rateLimitMessage(model: string, limit: number, waitMs: number): string {
	const secs = Math.max(0.001, waitMs / 1000);
	return (
		`Rate limit reached for ${model} in organization org-test on images per min (IPM): Limit ${limit}, Used ${limit}, Requested 1. ` +
		`Please try again in ${Number(secs.toFixed(3))}s. Visit https://platform.openai.com/account/rate-limits to learn more.`
	);
}

export const QUOTA_MESSAGE =
	'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.';

export function serverErrorMessage(requestId: string): string {
	return (
		'The server had an error processing your request. Sorry about that! You can retry your request, or contact us through our help ' +
		`center at help.openai.com if you keep seeing this error. (Please include the request ID ${requestId} in your email.)`
	);
}

/** OpenAI-style body for an arbitrary status (status directives and scripts without a body). */
export function openaiStatusError(status: number, model: string, requestId: string): ApiErrorBody {
	switch (status) {
		case 400:
			return err('Invalid request (simulated by the test server).', 'invalid_request_error');
		case 401:
			return err(
				'Incorrect API key provided: sk-test-****cdef. You can find your API key at https://platform.openai.com/account/api-keys.',
				'invalid_request_error',
				null,
				'invalid_api_key',
			);
		case 403:
			return err('Country, region, or territory not supported', 'request_forbidden', null, 'unsupported_country_region_territory');
		case 404:
			return err(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found');
		case 408:
			return err('Request timed out.', 'timeout');
		case 409:
			return err('The request conflicted with another request. Please retry.', 'conflict');
		case 429:
			return err(rateLimitMessage(model, 5, 12_000), 'requests', null, 'rate_limit_exceeded');
		case 500:
			return err(serverErrorMessage(requestId), 'server_error');
		case 502:
			return err('Bad gateway.', 'cf_bad_gateway', null, '502');
		case 503:
			return err('The server is overloaded or not ready yet.', 'server_error', null, 'service_unavailable');
		case 504:
			return err('Gateway timeout.', 'cf_gateway_timeout', null, '504');
		default:
			return err(
				`Simulated error with status ${status}.`,
				status >= 500 ? 'server_error' : 'invalid_request_error',
			);
	}
}

export function statusErrorBody(style: ErrorStyle, status: number, model: string, requestId: string): unknown {
	if (style === 'vllm') {
		const detail: Record<number, string> = {
			400: 'Invalid request.',
			404: `The model \`${model}\` does not exist.`,
			429: 'Too many requests.',
			500: 'Internal server error.',
			503: 'Service Unavailable: the model is still loading or overloaded.',
		};
		return { detail: detail[status] ?? `Simulated error with status ${status}.` };
	}
	if (style === 'localai') {
		return { error: { code: status, message: `simulated error with status ${status}`, type: '' } };
	}
	if (style === 'azure') {
		if (status === 429)
			return {
				error: {
					code: '429',
					message:
						'Requests to the Images_Generations Operation under Azure OpenAI API version 2025-04-01-preview have exceeded call rate limit of your current AIServices S0 pricing tier. Please retry after 12 seconds. Please contact Azure support service if you would like to further increase the default rate limit.',
				},
			};
		if (status === 401) return AZURE_401;
		if (status === 404) return AZURE_404;
		if (status === 500)
			return { error: { code: 'InternalServerError', message: 'The service encountered an internal error. Please retry.' } };
	}
	return { error: openaiStatusError(status, model, requestId) };
}

export const AZURE_401 = {
	error: {
		code: '401',
		message:
			'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
	},
};

export const AZURE_404 = { error: { code: '404', message: 'Resource not found' } };

export function azureDeploymentNotFound(): unknown {
	return {
		error: {
			code: 'DeploymentNotFound',
			message:
				'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
		},
	};
}

const SAFE = { filtered: false, severity: 'safe' };

export function azureContentFilterResults() {
	return { hate: { ...SAFE }, self_harm: { ...SAFE }, sexual: { ...SAFE }, violence: { ...SAFE } };
}

export function azurePromptFilterResults() {
	return {
		...azureContentFilterResults(),
		profanity: { detected: false, filtered: false },
		jailbreak: { detected: false, filtered: false },
	};
}

/**
 * Azure's prompt-filter rejection. Azure's chat errors name the inner object `innererror`, its
 * image-generation spec (dalleErrorResponse) and observed DALL-E answers name it `inner_error`:
 * both are sent, with the same content.
 */
export function azureContentFilterError(): unknown {
	const inner = {
		code: 'ResponsibleAIPolicyViolation',
		content_filter_results: {
			hate: { filtered: false, severity: 'safe' },
			sexual: { filtered: false, severity: 'safe' },
			violence: { filtered: true, severity: 'high' },
			self_harm: { filtered: false, severity: 'safe' },
		},
	};
	return {
		error: {
			code: 'contentFilter',
			message:
				'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
			param: 'prompt',
			type: null,
			innererror: inner,
			inner_error: inner,
		},
	};
}

export function moderationError(gpt: boolean, requestId: string): ApiErrorBody {
	return gpt
		? err(
				`Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID ${requestId}.`,
				'image_generation_user_error',
				null,
				'moderation_blocked',
			)
		: err(
				'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
				'invalid_request_error',
				null,
				'content_policy_violation',
			);
}

export const NGINX_502 =
	'<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n';

export const PLAINTEXT_500 = 'Internal Server Error';
