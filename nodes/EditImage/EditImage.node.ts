import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { properties } from './description';
import { edit } from './request';
import { searchModels } from '../shared/methods/listSearch';
import { runImageOperation } from '../shared/run';

export class EditImage implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Edit Image',
		name: 'editImage',
		icon: { light: 'file:../../icons/openAiImages.svg', dark: 'file:../../icons/openAiImages.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["model"].value || $parameter["model"] }}',
		description:
			'Edit and combine images from earlier steps with the OpenAI Images API (OpenAI, Azure OpenAI, OpenAI-compatible servers), many items in parallel',
		defaults: { name: 'Edit Image' },
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
		return await runImageOperation(this, edit);
	}
}
