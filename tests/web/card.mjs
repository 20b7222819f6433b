// Checks a Microsoft Teams Workflows message as gate's broker posts it, with Microsoft's own
// Adaptive Cards library (the `adaptivecards` npm package): the envelope, then the card parsed
// for version 1.4 and validated. Prints one JSON line:
//   {"problems": [...], "version": "1.4", "openUrls": [...], "texts": [...]}
// Usage: node card.mjs FILE.json   (the POSTed body)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// The package's ES module build imports paths without extensions, which Node refuses; its UMD
// build is the same library.
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js');

const message = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const problems = [];
if (message.type !== 'message') problems.push(`type is ${JSON.stringify(message.type)}, not "message"`);
const attachments = Array.isArray(message.attachments) ? message.attachments : [];
if (attachments.length !== 1) problems.push(`${attachments.length} attachments, not 1`);
const attachment = attachments[0] ?? {};
if (attachment.contentType !== 'application/vnd.microsoft.card.adaptive') {
  problems.push(`contentType is ${JSON.stringify(attachment.contentType)}`);
}
const content = attachment.content ?? {};
if (content.type !== 'AdaptiveCard') problems.push('content.type is not AdaptiveCard');

const context = new AC.SerializationContext(AC.Versions.v1_4);
const card = new AC.AdaptiveCard();
card.parse(content, context);
for (let i = 0; i < context.eventCount; i++) {
  const event = context.getEventAt(i);
  problems.push(`parse: ${AC.ValidationEvent[event.event]}: ${event.message}`);
}
for (const event of card.validateProperties().validationEvents) {
  problems.push(`validate: ${AC.ValidationEvent[event.event]}: ${event.message}`);
}
// Everything the card uses must exist in 1.4: the library reports newer properties as events.
if (card.version?.toString() !== '1.4') problems.push(`version ${card.version}`);

const openUrls = [];
for (let i = 0; i < card.getActionCount(); i++) {
  const action = card.getActionAt(i);
  if (action.getJsonTypeName() === 'Action.OpenUrl') openUrls.push(action.url);
  else problems.push(`action ${action.getJsonTypeName()} is not Action.OpenUrl`);
}
// The text a person reads, in order (TextBlock and the TextRuns of RichTextBlocks).
const texts = [];
const walk = (element) => {
  const type = element.getJsonTypeName();
  if (type === 'TextBlock') texts.push(element.text);
  if (type === 'RichTextBlock') {
    const runs = [];
    for (let i = 0; i < element.getInlineCount(); i++) runs.push(element.getInlineAt(i).text);
    texts.push(runs.join(''));
  }
  if (element.getItemCount) for (let i = 0; i < element.getItemCount(); i++) walk(element.getItemAt(i));
};
walk(card);
console.log(JSON.stringify({ problems, version: card.version?.toString(), openUrls, texts, bytes: JSON.stringify(message).length }));
