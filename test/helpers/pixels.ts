/** Pixel reading for tests of edits: the image server answers an edit with the first image negated. */
import sharp from 'sharp';

export type Colour = { r: number; g: number; b: number };

/** The colour of an image's centre pixel (any format sharp reads; alpha dropped). */
export async function centre(data: Buffer): Promise<Colour> {
	const { data: pixels, info } = await sharp(data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
	const at = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
	return { r: pixels[at], g: pixels[at + 1], b: pixels[at + 2] };
}

/** The colour the image server makes of `c` in an edit. */
export const negated = (c: Colour): Colour => ({ r: 255 - c.r, g: 255 - c.g, b: 255 - c.b });

/** Whether two colours are the same within lossy encoding (6 levels per channel). */
export const close = (a: Colour, b: Colour) => Math.max(Math.abs(a.r - b.r), Math.abs(a.g - b.g), Math.abs(a.b - b.b)) <= 6;
