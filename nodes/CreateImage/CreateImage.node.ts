import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { properties } from './description';
import { runImageOperation } from '../shared/run';
import { generation } from './request';
import { searchModels } from '../shared/methods/listSearch';
import { imageNodeBase } from '../shared/node';

export class CreateImage implements INodeType {
	description: INodeTypeDescription = {
		...imageNodeBase,
		displayName: 'Create Image',
		name: 'createImage',
		subtitle: '={{ $parameter["model"].value || $parameter["model"] }}',
		icon: { light: 'file:../../icons/openAiImages.svg', dark: 'file:../../icons/openAiImages.dark.svg' },
		description:
			'Create images with the OpenAI Images API (OpenAI, Azure OpenAI, OpenAI-compatible servers), many items in parallel',
		defaults: { name: 'Create Image' },
		usableAsTool: true,
		properties,
	};

	methods = {
		listSearch: { searchModels },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await runImageOperation(this, generation);
	}
}
