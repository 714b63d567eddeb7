/**
 * The AI Agent tool variant of a node, built as n8n 2.41.1 builds it (packages/cli NodeTypes
 * getByNameAndVersion -> convertNodeToAiTool): the same node object with a description whose
 * name ends in "Tool", no inputs, one `ai_tool` output, " Tool" after the display name, and a
 * `toolDescription` parameter (default: the node's description) in front of its parameters.
 * n8n's `@tool` display rule and the node's own isToolNode() both read that name.
 */
import type { INodeProperties, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes, NodeHelpers } from 'n8n-workflow';

import type { HarnessTypes } from './node-types';

export function toolVariant(nodeType: INodeType): INodeType {
	const base = nodeType.description;
	const toolDescription: INodeProperties = {
		displayName: 'Description',
		name: 'toolDescription',
		type: 'string',
		default: base.description,
		required: true,
		typeOptions: { rows: 2 },
		description: 'Explain to the LLM what this tool does',
	};
	const description: INodeTypeDescription = {
		...base,
		name: `${base.name}Tool`,
		displayName: `${base.displayName} Tool`,
		inputs: [],
		outputs: [NodeConnectionTypes.AiTool],
		properties: [toolDescription, ...base.properties],
	};
	delete description.usableAsTool;
	return Object.create(nodeType, { description: { value: description } }) as INodeType;
}

/** Registers the tool variant of a package node as `<full type>Tool` (e.g. n8n-nodes-create-image.createImageTool). */
export function registerToolVariant(types: HarnessTypes, fullType: string): string {
	const nodeType = NodeHelpers.getVersionedNodeType(types.getByName(fullType));
	const toolType = `${fullType}Tool`;
	types.registerNode(toolVariant(nodeType), toolType);
	return toolType;
}
