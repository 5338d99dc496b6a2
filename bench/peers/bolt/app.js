'use strict';
// The peer of pmbot's benchmark (bench/run): the same two jobs done the
// way most teams would write them, on the official Slack framework for
// JavaScript (@slack/bolt, Socket Mode), with the briefs in an
// in-memory Map instead of Redis.
//   /brief <slug>     the brief's card as the ack's payload
//   DM "brief <slug>" ack, then the card with one chat.postMessage (say)
// The card has the fields pmbot's has (title linked to the brief, owner,
// stage, brief link, QA ticket, checklist progress), as text and Block
// Kit, so both bots send about the same bytes.
//
//   SLACK_APP_TOKEN=... SLACK_BOT_TOKEN=... SLACK_API_URL=http://.../api/ \
//   BRIEFS=10000 node app.js
// prints "ready" on stdout once its Socket Mode connection is open.

const { App, LogLevel } = require('@slack/bolt');

const nbriefs = Number(process.env.BRIEFS || 10000);
const briefs = new Map();
for (let i = 0; i < nbriefs; i++) {
	const slug = `exp-${String(i).padStart(5, '0')}`;
	briefs.set(slug, {
		slug, title: `Experiment ${i}`, owner: `user${i % 1000}`,
		stage: 'draft', url: `https://docs.example.com/briefs/${slug}`,
		checklist: { done: i % 12, total: 12 },
	});
}

function card(slug) {
	const b = briefs.get(slug);
	if (!b)
		return { text: `no brief "${slug}"` };
	const fields = [
		['Owner', `@${b.owner}`], ['Stage', b.stage],
		['Brief', `<${b.url}|${b.slug}>`],
		['QA ticket', `none yet: \`/qa ${b.slug}\``],
		['Checklist', `${b.checklist.done}/${b.checklist.total} done: ` +
		    `\`/checklist ${b.slug}\``],
	];
	const text = [`*<${b.url}|${b.title}>*`].concat(fields.map(([k, v]) =>
	    `*${k}:* ${v}`)).join('\n');
	return {
		text,
		blocks: [
			{ type: 'section', text: { type: 'mrkdwn', text:
			    `*<${b.url}|${b.title}>*` } },
			{ type: 'section', fields: fields.map(([k, v]) =>
			    ({ type: 'mrkdwn', text: `*${k}*\n${v}` })) },
		],
	};
}

const app = new App({
	token: process.env.SLACK_BOT_TOKEN,
	appToken: process.env.SLACK_APP_TOKEN,
	socketMode: true,
	logLevel: LogLevel.ERROR,
	clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
});

app.command('/brief', async ({ command, ack }) => {
	await ack({ response_type: 'in_channel', ...card(command.text.trim()) });
});

app.message(/^brief\s+(\S+)/, async ({ context, say }) => {
	await say(card(context.matches[1]));
});

(async () => {
	await app.start();
	console.log('ready');
})();
process.on('SIGTERM', async () => {
	await app.stop();
	process.exit(0);
});
