import { planRequests } from '../shared/body';
import type { ImageOperation } from '../shared/run';

/** Create Image: `POST /images/generations` with a JSON body per request (shared/body.ts). */
export const generation: ImageOperation = {
	path: 'generations',
	plan: (_ctx, _itemIndex, config, family, modelInBody) => planRequests(config, family, modelInBody),
};
