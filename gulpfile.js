// Copies the icons next to the compiled code, where n8n looks for them (paths in the
// node and credential classes are relative to dist/nodes/<Node>/ and dist/credentials/).
const { src, dest } = require('gulp');

function copyIcons() {
	return src('icons/**/*.{png,svg}', { encoding: false }).pipe(dest('dist/icons'));
}

exports['build:icons'] = copyIcons;
