import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { properties } from './description';
import { runImageOperation } from '../shared/run';
import { generation } from './request';
import { searchModels } from '../shared/methods/listSearch';
import { imageNodeBase } from '../shared/node';
import { isToolNode, runAsTool } from '../shared/tool';

export class CreateImage implements INodeType {
	description: INodeTypeDescription = {
		...imageNodeBase,
		displayName: 'Create Image',
		name: 'createImage',
		subtitle: '={{ $parameter["model"].value || $parameter["model"] }}',
		icon: { light: 'file:../../icons/openAiImages.svg', dark: 'file:../../icons/openAiImages.dark.svg' },
		// Also the default description of the AI Agent tool (n8n uses it when Tool Description is left as it is).
		description:
			'Create images from a text prompt with the OpenAI Images API (OpenAI, Azure OpenAI, OpenAI-compatible servers). Each image goes to the workflow as a file; as an AI Agent tool it returns the file\'s name, type, size in bytes, width and height, not the image itself.',
		defaults: { name: 'Create Image' },
		usableAsTool: true,
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
