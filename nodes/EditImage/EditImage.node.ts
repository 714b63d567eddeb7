import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { properties } from './description';
import { edit } from './request';
import { searchModels } from '../shared/methods/listSearch';
import { imageNodeBase } from '../shared/node';
import { runImageOperation } from '../shared/run';

// No `usableAsTool`: an AI Agent's tool call holds only the model's arguments, never the files
// this node edits, so as a tool it could only fail (Create Image is the tool).
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool
export class EditImage implements INodeType {
	description: INodeTypeDescription = {
		...imageNodeBase,
		displayName: 'Edit Image',
		name: 'editImage',
		subtitle: '={{ $parameter["model"].value || $parameter["model"] }}',
		icon: { light: 'file:../../icons/openAiImages.svg', dark: 'file:../../icons/openAiImages.dark.svg' },
		description:
			'Edit and combine images from earlier steps with the OpenAI Images API (OpenAI, Azure OpenAI, OpenAI-compatible servers), many items in parallel',
		defaults: { name: 'Edit Image' },
		properties,
	};

	methods = {
		listSearch: { searchModels },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await runImageOperation(this, edit);
	}
}
