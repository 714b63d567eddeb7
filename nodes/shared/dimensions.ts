/** Width and height of an image, read from its own header (PNG, JPEG, WEBP, GIF). */

export interface Dimensions {
	width: number;
	height: number;
}

const ascii = (data: Buffer, offset: number, length: number) =>
	data.length >= offset + length ? data.toString('latin1', offset, offset + length) : '';

function png(data: Buffer): Dimensions | undefined {
	// Signature (8), then the IHDR chunk: length (4), "IHDR" (4), width (4), height (4). PNG spec 11.2.2.
	if (data.length < 24 || ascii(data, 12, 4) !== 'IHDR') return undefined;
	return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

function gif(data: Buffer): Dimensions | undefined {
	// Logical screen descriptor right after "GIF87a"/"GIF89a": width, height as little-endian 16 bits.
	if (data.length < 10) return undefined;
	return { width: data.readUInt16LE(6), height: data.readUInt16LE(8) };
}

function webp(data: Buffer): Dimensions | undefined {
	// RIFF container; the first chunk says which bitstream (Google's WebP container specification).
	const chunk = ascii(data, 12, 4);
	if (chunk === 'VP8X' && data.length >= 30) {
		return { width: 1 + data.readUIntLE(24, 3), height: 1 + data.readUIntLE(27, 3) };
	}
	if (chunk === 'VP8L' && data.length >= 25 && data[20] === 0x2f) {
		const bits = data.readUInt32LE(21);
		return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
	}
	// Lossy: a key frame's start code 9d 01 2a, then 14-bit width and height (RFC 6386 9.1).
	if (chunk === 'VP8 ' && data.length >= 30 && data[23] === 0x9d && data[24] === 0x01 && data[25] === 0x2a) {
		return { width: data.readUInt16LE(26) & 0x3fff, height: data.readUInt16LE(28) & 0x3fff };
	}
	return undefined;
}

function jpeg(data: Buffer): Dimensions | undefined {
	// Walk the marker segments up to a start-of-frame (SOF0-SOF15 but DHT C4, JPG C8, DAC CC):
	// its payload is precision (1), height (2), width (2). ITU T.81 B.2.2.
	let offset = 2;
	while (offset + 9 < data.length) {
		if (data[offset] !== 0xff) return undefined;
		const marker = data[offset + 1];
		if (marker === 0xff) {
			offset++; // fill byte
			continue;
		}
		if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
			offset += 2; // no length
			continue;
		}
		if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
			return { width: data.readUInt16BE(offset + 7), height: data.readUInt16BE(offset + 5) };
		}
		if (marker === 0xd9 || marker === 0xda) return undefined; // end of image, or scan data before any frame
		offset += 2 + data.readUInt16BE(offset + 2);
	}
	return undefined;
}

/**
 * The pixel size an image file states in its header: PNG (IHDR), GIF (logical screen), WEBP
 * (VP8, VP8L, VP8X) and JPEG (start-of-frame segment). Undefined for other types (SVG has no
 * fixed pixel size), truncated headers or a zero edge. Reads only the header; never throws.
 */
export function imageDimensions(data: Buffer): Dimensions | undefined {
	let found: Dimensions | undefined;
	if (data.length >= 8 && data.readUInt32BE(0) === 0x89504e47) found = png(data);
	else if (ascii(data, 0, 4) === 'GIF8') found = gif(data);
	else if (ascii(data, 0, 4) === 'RIFF' && ascii(data, 8, 4) === 'WEBP') found = webp(data);
	else if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) found = jpeg(data);
	return found && found.width > 0 && found.height > 0 ? found : undefined;
}
