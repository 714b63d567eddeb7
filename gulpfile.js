// Copies the node and credential icons next to the compiled code, where n8n looks for them.
const { src, dest } = require('gulp');

function copyIcons() {
	src('nodes/**/*.{png,svg}', { encoding: false }).pipe(dest('dist/nodes'));
	return src('credentials/**/*.{png,svg}', { encoding: false }).pipe(dest('dist/credentials'));
}

exports['build:icons'] = copyIcons;
