/**
 * Text a person chose (a clip title, a display name) shown inside a Discord message: every character that Discord's
 * markdown reads (bold, italics, strike, code, spoilers, quotes, headings, masked links, mentions) is escaped with a
 * backslash, so the text shows as typed and cannot format or ping. The messages also send no allowed mentions.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_~`|>[\]<@#]/g, (char) => `\\${char}`);
}
