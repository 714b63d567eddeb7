import { NodeOperationError, type IDataObject, type IExecuteFunctions, type ILoadOptionsFunctions } from 'n8n-workflow';

import type { ProviderLimits } from '../validate';
import { AddressError, reduceAzureEndpoint, reduceBaseUrl } from './addresses';

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
	/** How long returned image URLs stay valid, where the provider documents it; undefined: not known to expire. */
	urlLifetimeMs?: number;
	/** OpenAI and compatible servers: the base URL (…/v1) the Files and Batch APIs hang off (`/files`, `/batches`); Azure: none (no image batches). */
	apiBaseUrl?: string;
}

/** OpenAI's and Azure OpenAI's returned image URLs are valid for 60 minutes (their API references). */
export const DOCUMENTED_URL_LIFETIME_MS = 60 * 60_000;

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** The Base URL the node appends `/images/...` to (empty: OpenAI's); see reduceBaseUrl. Throws AddressError. */
export function normalizeBaseUrl(raw: string): string {
	return reduceBaseUrl(raw.trim() || OPENAI_BASE_URL);
}

/** Azure endpoint as the resource's address, whatever the user pasted after it; see reduceAzureEndpoint. Throws AddressError. */
export function normalizeAzureEndpoint(raw: string): string {
	return reduceAzureEndpoint(raw);
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
		urlLifetimeMs: isOpenAi ? DOCUMENTED_URL_LIFETIME_MS : undefined,
		apiBaseUrl: baseUrl,
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
		urlLifetimeMs: DOCUMENTED_URL_LIFETIME_MS,
	};
}

/** Reads the node's credential (settings only; the key stays with n8n's authentication). */
export async function resolveEndpoint(
	ctx: IExecuteFunctions | ILoadOptionsFunctions,
	authentication: AuthenticationType,
): Promise<Endpoint> {
	const credentials = await ctx.getCredentials(authentication);
	try {
		return authentication === 'azureOpenAiImagesApi'
			? azureEndpoint(credentials)
			: openAiEndpoint(String(credentials.baseUrl ?? ''));
	} catch (error) {
		// Before anything is sent: the credential's address cannot be used as it is.
		const credential = authentication === 'azureOpenAiImagesApi' ? 'Azure OpenAI Images API' : 'OpenAI Images API';
		if (!(error instanceof AddressError)) throw new NodeOperationError(ctx.getNode(), (error as Error).message);
		const refused = new NodeOperationError(ctx.getNode(), `Credential "${credential}" › ${error.message}`);
		refused.context.field = `Credential "${credential}" › ${error.field}`; // for the continue modes' error item (errorItem.ts)
		throw refused;
	}
}
