// n8n loads the node and credentials through the "n8n" block of package.json; this file only
// gives the package a main entry.
module.exports = {};
