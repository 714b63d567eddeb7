/** What an image file is (from its first bytes), and what to call it. */

export interface FileType {
	mimeType: string;
	extension: string;
}

const BY_FORMAT: Record<string, FileType> = {
	png: { mimeType: 'image/png', extension: 'png' },
	jpeg: { mimeType: 'image/jpeg', extension: 'jpg' },
	webp: { mimeType: 'image/webp', extension: 'webp' },
	gif: { mimeType: 'image/gif', extension: 'gif' },
	svg: { mimeType: 'image/svg+xml', extension: 'svg' },
};

const startsWith = (data: Buffer, bytes: number[], offset = 0) =>
	data.length >= offset + bytes.length && bytes.every((byte, i) => data[offset + i] === byte);

/** How far into a file the root `<svg` element is looked for: the most imageTypeOf reads. */
export const SVG_HEAD_BYTES = 4096;
/**
 * An SVG file's start: before its root element only what XML allows there (a byte order mark,
 * white space, an XML declaration, comments, processing instructions, a DOCTYPE with or
 * without an internal subset). One character of white space per step: no nested repetition.
 */
const SVG_START = /^\uFEFF?(?:\s|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>)*<svg[\s>/]/i;

/**
 * The image type the bytes themselves say they are (PNG, JPEG, WEBP, GIF signatures; SVG by its
 * root element, after what XML allows before it), or undefined when they are no image of these
 * types (an HTML page, JSON, nothing).
 */
export function imageTypeOf(data: Buffer): FileType | undefined {
	if (startsWith(data, [0x89, 0x50, 0x4e, 0x47])) return BY_FORMAT.png;
	if (startsWith(data, [0xff, 0xd8, 0xff])) return BY_FORMAT.jpeg;
	if (startsWith(data, [0x52, 0x49, 0x46, 0x46]) && startsWith(data, [0x57, 0x45, 0x42, 0x50], 8)) {
		return BY_FORMAT.webp;
	}
	if (startsWith(data, [0x47, 0x49, 0x46, 0x38])) return BY_FORMAT.gif;
	if (SVG_START.test(data.subarray(0, SVG_HEAD_BYTES).toString('utf8'))) return BY_FORMAT.svg;
	return undefined;
}

/**
 * The file name: the user's, else image_ITEM_INDEX; with the image index added when the item
 * makes several images. The extension is always the real type's (from the bytes): added when
 * the user's name has none, and put in place of a user's image extension that names another
 * type ("photo.png" for a JPEG becomes "photo.jpg"; "photo.jpeg" stays, as it agrees).
 */
export function fileNameFor(
	userName: string,
	itemIndex: number,
	imageIndex: number,
	imageCount: number,
	type: FileType,
): string {
	if (!userName) return `image_${itemIndex}_${imageIndex}.${type.extension}`;
	// Only a known image extension counts as one: "portrait.v2" becomes "portrait.v2.png".
	const match = /^(.*?)(\.(?:png|jpe?g|webp|gif|svg))?$/i.exec(userName)!;
	const stem = match[1] || 'image';
	const agrees = match[2] && BY_FORMAT[match[2].slice(1).toLowerCase().replace('jpg', 'jpeg')]?.extension === type.extension;
	const extension = agrees ? match[2] : `.${type.extension}`;
	return imageCount > 1 ? `${stem}_${imageIndex}${extension}` : `${stem}${extension}`;
}
