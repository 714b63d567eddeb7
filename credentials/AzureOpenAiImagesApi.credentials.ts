import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

import { reduceAzureEndpointExpression } from '../nodes/shared/transport/addresses';

/** Azure OpenAI: a resource endpoint and its key, for the v1 or the dated (deployments) API. */
export class AzureOpenAiImagesApi implements ICredentialType {
	name = 'azureOpenAiImagesApi';

	displayName = 'Azure OpenAI Images API';

	icon: Icon = { light: 'file:../icons/azureOpenAiImages.svg', dark: 'file:../icons/azureOpenAiImages.dark.svg' };

	documentationUrl = 'https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference';

	properties: INodeProperties[] = [
		{
			displayName: 'Endpoint',
			name: 'endpoint',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'e.g. https://my-resource.openai.azure.com',
			description:
				'The resource endpoint: https://{resource}.openai.azure.com or https://{resource}.services.ai.azure.com. A pasted target URI (…/openai/deployments/…?api-version=… or …/openai/v1/…) is cut down to it.',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
		},
		{
			displayName: 'API Style',
			name: 'apiStyle',
			type: 'options',
			options: [
				{
					name: 'V1 (Model = Deployment Name in the Body)',
					value: 'v1',
				},
				{
					name: 'Dated Deployments API (?api-Version=...)',
					value: 'deployments',
				},
			],
			default: 'v1',
		},
		{
			displayName: 'API Version',
			name: 'apiVersion',
			type: 'string',
			default: '2025-04-01-preview',
			displayOptions: { show: { apiStyle: ['deployments'] } },
			description: 'The api-version query parameter of the dated API',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: { 'api-key': '={{$credentials.apiKey}}' },
		},
	};

	test: ICredentialTestRequest = {
		request: {
			// The resource address the node itself uses: a pasted target URI is cut down to it.
			baseURL: reduceAzureEndpointExpression('$credentials.endpoint || ""'),
			url: '={{ $credentials.apiStyle === "deployments" ? "/openai/models" : "/openai/v1/models" }}',
			qs: {
				'api-version': '={{ $credentials.apiStyle === "deployments" ? $credentials.apiVersion : "preview" }}',
			},
		},
	};
}
