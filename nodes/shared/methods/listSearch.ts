import {
	NodeApiError,
	type JsonObject,
	type ILoadOptionsFunctions,
	type INodeListSearchItems,
	type INodeListSearchResult,
} from 'n8n-workflow';

import { findModelFamily, isImageModelId, isRetired, MODEL_FAMILIES } from '../models';
import { resolveEndpoint, type AuthenticationType, type Endpoint } from '../transport/endpoint';

export interface ListedModel {
	id?: string;
	model?: string;
	name?: string;
}

/** Current families first (table order), then retired ones, then other image-like ids, then the rest. */
function rank(id: string): number {
	const family = findModelFamily(id);
	if (family) {
		const order = MODEL_FAMILIES.indexOf(family);
		return (isRetired(family) ? 100 : 0) + order;
	}
	return isImageModelId(id) ? 200 : 300;
}

/**
 * The list label: the id, the deployment's model, and a retirement date (OpenAI's: on another
 * server, which may still serve the model, it is said to be OpenAI's), "retired" from the date
 * on by the package clock.
 */
function describe(id: string, kind: Endpoint['kind'], deploymentModel?: string): string {
	const family = findModelFamily(deploymentModel ?? id);
	const notes: string[] = [];
	if (deploymentModel && deploymentModel !== id) notes.push(deploymentModel);
	if (family?.retirement) {
		const whose = kind === 'openai' ? '' : ' by OpenAI';
		notes.push(`${isRetired(family) ? 'retired' : 'retires'}${whose} ${family.retirement.date}`);
	}
	return notes.length ? `${id} (${notes.join(', ')})` : id;
}

/** Which listed models to offer, in which order, with what label (OpenAI: image models only). */
export function modelChoices(listed: ListedModel[], kind: Endpoint['kind'], filter?: string): INodeListSearchItems[] {
	const needle = filter?.toLowerCase();
	return listed
		.map((entry) => ({ id: String(entry.id ?? entry.name ?? ''), model: entry.model }))
		.filter(({ id }) => id)
		.filter(({ id, model }) => kind !== 'openai' || isImageModelId(model ?? id))
		.filter(({ id, model }) => !needle || id.toLowerCase().includes(needle) || model?.toLowerCase().includes(needle))
		.sort((a, b) => rank(a.model ?? a.id) - rank(b.model ?? b.id) || a.id.localeCompare(b.id))
		.map(({ id, model }) => ({ name: describe(id, kind, model), value: id }));
}

/**
 * The model list: for OpenAI, its image models; for Azure, the deployments (where the API
 * lists them); for any other server, every model it lists. Image models come first.
 */
export async function searchModels(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const authentication = this.getNodeParameter('authentication', 'openAiImagesApi') as AuthenticationType;
	const endpoint = await resolveEndpoint(this, authentication);
	let listed: ListedModel[] = [];
	for (const request of endpoint.modelLists) {
		try {
			const body = (await this.helpers.httpRequestWithAuthentication.call(this, endpoint.credentialType, {
				method: 'GET',
				...request,
				json: true,
				timeout: 30_000,
				sendCredentialsOnCrossOriginRedirect: false,
			})) as { data?: ListedModel[] } | ListedModel[];
			listed = Array.isArray(body) ? body : (body?.data ?? []);
			break;
		} catch (error) {
			if (request === endpoint.modelLists[endpoint.modelLists.length - 1]) {
				throw new NodeApiError(this.getNode(), error as JsonObject);
			}
		}
	}
	return { results: modelChoices(listed, endpoint.kind, filter) };
}
