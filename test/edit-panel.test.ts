/**
 * The Edit Image settings panel: which edit options n8n's display rules show for each model
 * (NodeHelpers.displayParameter, as the editor), and the public names saved in workflows.
 */
import { NodeHelpers, type INodeParameters, type INodeProperties, type INodeTypeDescription } from 'n8n-workflow';

import { EditImage } from '../nodes/EditImage/EditImage.node';
import { toolVariant } from './helpers/tool-variant';

const description: INodeTypeDescription = new EditImage().description;
const options = description.properties.find((p) => p.name === 'options')!.options as INodeProperties[];

/** Whether the panel shows an option (Image Source: the node's default, Binary Files, unless given). */
function shows(model: string, option: string, imageSource = 'binary'): boolean {
	const parameters: INodeParameters = { model: { __rl: true, mode: 'id', value: model }, imageSource, options: {} };
	const node = { id: '1', name: 'Edit Image', type: 'n8n-nodes-create-image.editImage', typeVersion: 1, position: [0, 0] as [number, number], parameters };
	return NodeHelpers.displayParameter({}, options.find((o) => o.name === option)!, node, description, parameters);
}

test.each([
	['binary', { mask: true, markup: true, maskUrl: false, maskFileId: false }],
	['url', { mask: false, markup: false, maskUrl: true, maskFileId: false }],
	['fileId', { mask: false, markup: false, maskUrl: false, maskFileId: true }],
])('Image Source %s: the mask options of that source only (Markup: binary files only)', (source, shown) => {
	for (const [option, expected] of Object.entries(shown)) expect([option, shows('gpt-image-2.5-flare', option, source)]).toEqual([option, expected]);
});

/** The panel's Image Source for the node and for its AI Agent tool variant (as n8n 2.41 builds it). */
function imageSourceFor(type: INodeTypeDescription) {
	const parameters: INodeParameters = {};
	const node = { id: '1', name: 'Edit Image', type: type.name, typeVersion: 1, position: [0, 0] as [number, number], parameters };
	return type.properties.filter((p) => p.name === 'imageSource').find((p) => NodeHelpers.displayParameter({}, p, node, type, parameters))!;
}

test('Image Source: the node offers Binary Files (default), Image URLs, OpenAI File IDs; the tool only URLs (default) and File IDs', () => {
	const node = imageSourceFor(description);
	expect([node.default, node.options!.map((o) => (o as { value: string }).value)]).toEqual(['binary', ['binary', 'url', 'fileId']]);
	const tool = imageSourceFor(toolVariant(new EditImage()).description);
	expect([tool.default, tool.options!.map((o) => (o as { value: string }).value)]).toEqual(['url', ['url', 'fileId']]);
});

test.each([
	['gpt-image-1.5', true],
	['gpt-image-1.5-2025-12-16', true],
	['gpt-image-1-mini', true],
	['gpt-image-2', false],
	['gpt-image-2-2026-04-21', false],
	['gpt-image-2.5-flare', false],
	['gpt-image-2.6-sunburst', false],
	['chatgpt-image-latest', false],
	['my-local-model', true],
	['={{ $json.model }}', true],
])('Input Fidelity for %s: shown %s', (model, shown) => {
	expect(shows(model, 'inputFidelity')).toBe(shown);
});

test.each([
	['gpt-image-2.5-flare', true],
	['gpt-image-2.5-sunburst-2026-09-08', true],
	['gpt-image-2', false],
	['gpt-image-1.5', false],
	['gpt-image-2.6-flare', false],
	['my-local-model', true],
])('Markup for %s: shown %s', (model, shown) => {
	expect(shows(model, 'markup')).toBe(shown);
});

test('Mask is shown for every model', () => {
	expect(['gpt-image-2', 'gpt-image-1.5', 'gpt-image-2.5-flare', 'my-local-model'].every((model) => shows(model, 'mask'))).toBe(true);
});

test('the public interface: node type, outputs, parameters and options keep their names', () => {
	expect(description.name).toBe('editImage');
	expect(description.displayName).toBe('Edit Image');
	expect(description.version).toBe(1);
	// Offered as an AI Agent tool (Edit Image Tool), which edits by reference.
	expect(description.usableAsTool).toBe(true);
	expect(description.inputs).toEqual([{ type: 'main', displayName: 'Configuration' }]);
	expect(description.outputs).toEqual([
		{ type: 'main', displayName: 'Result' },
		{ type: 'main', displayName: 'Configuration' },
	]);
	expect(description.credentials?.map((c) => c.name)).toEqual(['openAiImagesApi', 'azureOpenAiImagesApi']);
	expect(description.properties.map((p) => p.name)).toEqual([
		'authentication',
		'model',
		'prompt',
		'imageSource',
		'imageSource',
		'images',
		'imageUrls',
		'imageFileIds',
		'resultFormat',
		'requestMode',
		'batchWait',
		'batchMaxWaitHours',
		'batchDeleteFiles',
		'options',
		'imageLinkForAgent',
		'imageLinkMinutes',
	]);
	expect(description.properties.find((p) => p.name === 'images')!.default).toBe('data');
	expect(description.properties.find((p) => p.name === 'model')!.default).toEqual({ mode: 'id', value: 'gpt-image-2' });
	expect(options.map((o) => o.name)).toEqual(expect.arrayContaining(['mask', 'markup', 'maskUrl', 'maskFileId', 'inputFidelity', 'n', 'size', 'quality', 'outputFormat', 'extraBody', 'prices']));
	expect(options.map((o) => o.name)).not.toEqual(expect.arrayContaining(['style']));
	expect(options.map((o) => o.name)).not.toContain('moderation');
});
