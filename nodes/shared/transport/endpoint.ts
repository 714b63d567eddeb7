import type { IDataObject, IExecuteFunctions, ILoadOptionsFunctions } from 'n8n-workflow';

import type { ProviderLimits } from '../validate';

export type AuthenticationType = 'openAiImagesApi' | 'azureOpenAiImagesApi';

/** The Images API operations, by their path after the base URL (OpenAI's API reference). */
export type ImagePath = 'generations' | 'edits';

/** Where requests go for one credential: the one place that knows OpenAI's and Azure's URL shapes. */
export interface Endpoint {
	credentialType: AuthenticationType;
	kind: 'openai' | 'compatible' | 'azure';
	limits: ProviderLimits;
	/** The API's origin: credentials are sent there and nowhere else. */
	origin: string;
	/** Where an operation's request goes for a model (Azure: a deployment), and whether `model` goes in the body. */
	route(path: ImagePath, model: string): { url: string; qs?: IDataObject; modelInBody: boolean };
	/** Requests that list models or deployments, tried in order until one answers. */
	modelLists: Array<{ url: string; qs?: IDataObject }>;
}

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** Base URL with or without a trailing slash or /v1: a bare host gets /v1, anything else stays. */
export function normalizeBaseUrl(raw: string): string {
	const trimmed = (raw || OPENAI_BASE_URL).trim().replace(/\/+$/, '');
	const url = new URL(trimmed);
	return url.pathname === '' || url.pathname === '/' ? `${trimmed}/v1` : trimmed;
}

/** Azure endpoint as a resource URL, whatever the user pasted after it (/openai, /openai/v1). */
export function normalizeAzureEndpoint(raw: string): string {
	const trimmed = raw.trim().replace(/\/+$/, '');
	return trimmed.replace(/\/openai(\/v1)?$/i, '');
}

const noLimits = (name: string): ProviderLimits => ({ name, unsupportedOutputFormats: [] });

export function openAiEndpoint(baseUrlSetting: string): Endpoint {
	const baseUrl = normalizeBaseUrl(baseUrlSetting);
	const origin = new URL(baseUrl).origin;
	const isOpenAi = origin === new URL(OPENAI_BASE_URL).origin;
	return {
		credentialType: 'openAiImagesApi',
		kind: isOpenAi ? 'openai' : 'compatible',
		limits: noLimits(isOpenAi ? 'OpenAI' : `the server at ${origin}`),
		origin,
		route: (path) => ({ url: `${baseUrl}/images/${path}`, modelInBody: true }),
		modelLists: [{ url: `${baseUrl}/models` }],
	};
}

export const AZURE_DEFAULT_API_VERSION = '2025-04-01-preview';
/** The last data-plane API version that lists deployments. */
const AZURE_DEPLOYMENTS_API_VERSION = '2022-12-01';

export function azureEndpoint(settings: IDataObject): Endpoint {
	const endpoint = normalizeAzureEndpoint(String(settings.endpoint ?? ''));
	const origin = new URL(endpoint).origin;
	const apiVersion = String(settings.apiVersion || AZURE_DEFAULT_API_VERSION);
	const dated = settings.apiStyle === 'deployments';
	const deploymentsList = {
		url: `${endpoint}/openai/deployments`,
		qs: { 'api-version': AZURE_DEPLOYMENTS_API_VERSION },
	};
	return {
		credentialType: 'azureOpenAiImagesApi',
		kind: 'azure',
		limits: { name: 'Azure OpenAI', unsupportedOutputFormats: ['webp'] },
		origin,
		route: (path, deployment) =>
			dated
				? {
						url: `${endpoint}/openai/deployments/${encodeURIComponent(deployment)}/images/${path}`,
						qs: { 'api-version': apiVersion },
						modelInBody: false,
					}
				: { url: `${endpoint}/openai/v1/images/${path}`, modelInBody: true },
		modelLists: dated ? [deploymentsList] : [deploymentsList, { url: `${endpoint}/openai/v1/models` }],
	};
}

/** Reads the node's credential (settings only; the key stays with n8n's authentication). */
export async function resolveEndpoint(
	ctx: IExecuteFunctions | ILoadOptionsFunctions,
	authentication: AuthenticationType,
): Promise<Endpoint> {
	const credentials = await ctx.getCredentials(authentication);
	return authentication === 'azureOpenAiImagesApi'
		? azureEndpoint(credentials)
		: openAiEndpoint(String(credentials.baseUrl ?? ''));
}
