import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

import { reduceBaseUrlExpression } from '../nodes/shared/transport/addresses';

/**
 * OpenAI, or any server that speaks the OpenAI Images API (LocalAI, vLLM, LiteLLM ...).
 * The key is sent only as headers to the base URL's host.
 */
export class OpenAiImagesApi implements ICredentialType {
	name = 'openAiImagesApi';

	displayName = 'OpenAI Images API';

	icon: Icon = { light: 'file:../icons/openAiImages.svg', dark: 'file:../icons/openAiImages.dark.svg' };

	documentationUrl = 'https://platform.openai.com/docs/api-reference/authentication';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
		},
		{
			displayName: 'Organization ID (Optional)',
			name: 'organizationId',
			type: 'string',
			default: '',
			hint: 'Only for users who belong to several OpenAI organizations',
			description: 'Sent as the OpenAI-Organization header',
		},
		{
			displayName: 'Project ID (Optional)',
			name: 'projectId',
			type: 'string',
			default: '',
			description: 'Sent as the OpenAI-Project header',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.openai.com/v1',
			description:
				'Change it for an OpenAI-compatible server (LocalAI, vLLM, LiteLLM ...), e.g. http://localhost:8080/v1. A bare host gets /v1 added; a pasted request URL (…/v1/images/generations, …/v1/models) is cut down to its base.',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiKey}}',
				'OpenAI-Organization': '={{$credentials.organizationId || undefined}}',
				'OpenAI-Project': '={{$credentials.projectId || undefined}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			// The base the node itself uses: a pasted request URL is cut down to it.
			baseURL: reduceBaseUrlExpression('$credentials.baseUrl || "https://api.openai.com/v1"'),
			url: '/models',
		},
	};
}
