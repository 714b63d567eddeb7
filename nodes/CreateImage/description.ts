import type { INodeProperties } from 'n8n-workflow';

import {
	authenticationProperty,
	imageOptions,
	modelProperty,
	optionsCollection,
	promptProperty,
	resultFormatProperty,
	batchProperties,
} from '../shared/description';
import { toolProperties } from '../shared/tool';

/** The Create Image node's parameters: the shared ones, in the order the panel shows them. */
export const properties: INodeProperties[] = [
	authenticationProperty,
	modelProperty,
	promptProperty,
	resultFormatProperty,
	...batchProperties,
	optionsCollection(imageOptions),
	...toolProperties,
];
