import { NodeConnectionTypes, type INodeTypeDescription } from 'n8n-workflow';

/**
 * What every image node's description shares: its input and two outputs (Result, and the
 * input items as Configuration), the credentials by authentication, the group and version.
 */
export const imageNodeBase: Pick<INodeTypeDescription, 'group' | 'version' | 'inputs' | 'outputs' | 'credentials'> = {
	group: ['transform'],
	version: 1,
	inputs: [{ type: NodeConnectionTypes.Main, displayName: 'Configuration' }],
	outputs: [
		{ type: NodeConnectionTypes.Main, displayName: 'Result' },
		{ type: NodeConnectionTypes.Main, displayName: 'Configuration' },
	],
	credentials: [
		{
			name: 'openAiImagesApi',
			required: true,
			displayOptions: { show: { authentication: ['openAiImagesApi'] } },
		},
		{
			name: 'azureOpenAiImagesApi',
			required: true,
			displayOptions: { show: { authentication: ['azureOpenAiImagesApi'] } },
		},
	],
};
