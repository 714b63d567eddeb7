import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { properties } from './description';
import { runImageOperation } from '../shared/run';
import { generation } from './request';
import { searchModels } from '../shared/methods/listSearch';
import { isToolNode, runAsTool } from '../shared/tool';

export class CreateImage implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Create Image',
		name: 'createImage',
		icon: { light: 'file:../../icons/openAiImages.svg', dark: 'file:../../icons/openAiImages.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["model"].value || $parameter["model"] }}',
		// Also the default description of the AI Agent tool (n8n uses it when Tool Description is left as it is).
		description:
			'Create images from a text prompt with the OpenAI Images API (OpenAI, Azure OpenAI, OpenAI-compatible servers). Each image goes to the workflow as a file; as an AI Agent tool it returns the file\'s name, type, size in bytes, width and height, not the image itself.',
		defaults: { name: 'Create Image' },
		usableAsTool: true,
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
		properties,
	};

	methods = {
		listSearch: { searchModels },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const run = async () => await runImageOperation(this, generation);
		return isToolNode(this) ? await runAsTool(this, run) : await run();
	}
}
