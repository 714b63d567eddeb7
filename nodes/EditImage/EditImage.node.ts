import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { properties } from './description';
import { edit } from './request';
import { searchModels } from '../shared/methods/listSearch';
import { imageNodeBase } from '../shared/node';
import { runImageOperation } from '../shared/run';
import { isToolNode, runAsTool } from '../shared/tool';

export class EditImage implements INodeType {
	description: INodeTypeDescription = {
		...imageNodeBase,
		displayName: 'Edit Image',
		name: 'editImage',
		subtitle: '={{ $parameter["model"].value || $parameter["model"] }}',
		icon: { light: 'file:../../icons/openAiImages.svg', dark: 'file:../../icons/openAiImages.dark.svg' },
		// Also the default description of the AI Agent tool (n8n uses it when Tool Description is left as it is).
		description:
			"Edit and combine images with the OpenAI Images API (OpenAI, Azure OpenAI, OpenAI-compatible servers): files from earlier steps, or images by URL or OpenAI file id. As an AI Agent tool it takes the image URLs (e.g. a link Create Image Tool returned) and returns the edited file's name, type, size in bytes, width and height, not the image itself.",
		defaults: { name: 'Edit Image' },
		usableAsTool: true,
		properties,
	};

	methods = {
		listSearch: { searchModels },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const run = async () => await runImageOperation(this, edit);
		return isToolNode(this) ? await runAsTool(this, run) : await run();
	}
}
