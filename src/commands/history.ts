/**
 * /history: the caller's clips, newest first, a page at a time (◀ newer, older ▶), each numbered with buttons to
 * hear it again (🔂 only you see it, 📢 posted in the channel with its clip buttons) and to play it in voice (▶️,
 * the very button a clip's own message has, so it takes the same voice path).
 */
import { readFile } from 'node:fs/promises';

import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  InteractionContextType,
  MessageFlags,
  type AttachmentPayload,
  type MessageActionRowComponentBuilder,
} from 'discord.js';

import { ensureAllowedChannel } from '../bot/channel-guard.ts';
import { ClipAction, clipComponents, DEFAULT_ATTACHMENT_LIMIT, fileBase } from '../bot/clip-message.ts';
import { escapeMarkdown } from '../markdown.ts';
import { customId, type BotCommand, type ComponentHandler } from '../bot/command.ts';
import type { GuildSettingsStore } from '../bot/guild-settings.ts';
import { UserError } from '../bot/user-error.ts';
import type { ClipRecord, ClipStore, HistoryPage } from '../db/clip-store.ts';

/** Custom-id prefixes: "history:USER_ID:PAGE" turns the page, "replay:CLIP_ID:me|here" posts a clip again. */
export const HISTORY_PREFIX = 'history';
export const REPLAY_PREFIX = 'replay';

export interface HistoryCommandOptions {
  readonly store: Pick<ClipStore, 'listForUser' | 'get'>;
  readonly settings: Pick<GuildSettingsStore, 'get'>;
}

interface HistoryView {
  readonly content: string;
  readonly components: ActionRowBuilder<MessageActionRowComponentBuilder>[];
}

const KIND_EMOJI: Readonly<Record<ClipRecord['kind'], string>> = {
  compose: '🎶',
  variation: '🔁',
  extension: '➕',
  regenerate: '🎛️',
  radio: '📻',
};

export function createHistoryCommand(options: HistoryCommandOptions): BotCommand {
  const { store } = options;

  const turnPage: ComponentHandler = {
    prefix: HISTORY_PREFIX,
    async handle(interaction, argument) {
      const [owner, page] = argument.split(':');
      if (owner !== interaction.user.id) {
        throw new UserError({ code: 'not-your-history', message: 'That is someone else’s history: use /history.' });
      }
      await interaction.update({
        ...historyView(owner, store.listForUser(owner, Number(page))),
        allowedMentions: { parse: [] },
      });
    },
  };

  const replay: ComponentHandler = {
    prefix: REPLAY_PREFIX,
    async handle(interaction, argument) {
      const [clipId = '', where] = argument.split(':');
      const clip = store.get(clipId);
      if (clip?.userId !== interaction.user.id) {
        throw new UserError({ code: 'clip-gone', message: 'That clip is no longer in your history.' });
      }
      const here = where === 'here';
      if (here) ensureAllowedChannel(options.settings, interaction);
      const limit = interaction.attachmentSizeLimit > 0 ? interaction.attachmentSizeLimit : DEFAULT_ATTACHMENT_LIMIT;
      const files = await clipFiles(clip, limit);
      await interaction.reply({
        content: `🔂 **${escapeMarkdown(clip.meta.title)}**${files.left.length > 0 ? `\n${files.left.join('\n')}` : ''}`,
        files: files.attached,
        components: here ? clipComponents(clip.id) : [],
        allowedMentions: { parse: [] },
        ...(here ? {} : { flags: MessageFlags.Ephemeral }),
      });
    },
  };

  return {
    data: {
      name: 'history',
      description: 'Your clips, newest first, to hear or play again',
      contexts: [InteractionContextType.Guild],
    },
    async execute(interaction) {
      await interaction.reply({
        ...historyView(interaction.user.id, store.listForUser(interaction.user.id, 0)),
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
    },
    components: [turnPage, replay],
  };
}

/** The page's text (one numbered line per clip) and its buttons: replay, share, play, then the page turns. */
export function historyView(userId: string, page: HistoryPage): HistoryView {
  if (page.total === 0) {
    return { content: 'You have no clips yet: try /compose.', components: [] };
  }
  const lines = page.clips.map((clip, index) => {
    const when = `<t:${Math.floor(clip.createdAt / 1000)}:R>`;
    const gone = clip.files === undefined ? ' · files deleted' : '';
    return `${index + 1}. ${KIND_EMOJI[clip.kind]} **${escapeMarkdown(clip.meta.title)}** · ${escapeMarkdown(clip.style)} · ${Math.round(clip.tempo)} bpm · ${clip.lengthSeconds.toFixed(0)} s · ${when}${gone}`;
  });
  const header = `**Your clips**, newest first: page ${page.page + 1} of ${page.pageCount} (${page.total} in all)`;
  const legend = '🔂 hear it again (only you) · 📢 post it here · ▶️ play it in your voice channel';
  const row = (make: (clip: ClipRecord, index: number) => ButtonBuilder) =>
    new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(page.clips.map(make));
  const label = (index: number): string => String(index + 1);
  const components = [
    row((clip, index) =>
      new ButtonBuilder()
        .setCustomId(customId(REPLAY_PREFIX, `${clip.id}:me`))
        .setLabel(label(index))
        .setEmoji('🔂')
        .setStyle(ButtonStyle.Secondary)
        .setDisabled(clip.files === undefined),
    ),
    row((clip, index) =>
      new ButtonBuilder()
        .setCustomId(customId(REPLAY_PREFIX, `${clip.id}:here`))
        .setLabel(label(index))
        .setEmoji('📢')
        .setStyle(ButtonStyle.Secondary)
        .setDisabled(clip.files === undefined),
    ),
    row((clip, index) =>
      new ButtonBuilder()
        .setCustomId(customId(ClipAction.play, clip.id))
        .setLabel(label(index))
        .setEmoji('▶️')
        .setStyle(ButtonStyle.Primary)
        .setDisabled(clip.files === undefined),
    ),
    new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(
      new ButtonBuilder()
        .setCustomId(customId(HISTORY_PREFIX, `${userId}:${page.page - 1}`))
        .setLabel('◀ Newer')
        .setStyle(ButtonStyle.Secondary)
        .setDisabled(page.page === 0),
      new ButtonBuilder()
        .setCustomId(customId(HISTORY_PREFIX, `${userId}:${page.page + 1}`))
        .setLabel('Older ▶')
        .setStyle(ButtonStyle.Secondary)
        .setDisabled(page.page >= page.pageCount - 1),
    ),
  ];
  return { content: [header, ...lines, '', legend].join('\n'), components };
}

/** The clip's audio, MIDI and picture that fit the upload limit, and a line for each that does not. */
async function clipFiles(clip: ClipRecord, limit: number): Promise<{ attached: AttachmentPayload[]; left: string[] }> {
  const files = clip.files;
  if (files === undefined) {
    throw new UserError({
      code: 'files-gone',
      message: 'The files of that clip are no longer kept; 🔁 and ➕ on its message still work.',
    });
  }
  const base = fileBase(clip.meta);
  let read: Buffer[];
  try {
    read = await Promise.all([readFile(files.ogg), readFile(files.mid), readFile(files.png)]);
  } catch {
    throw new UserError({ code: 'files-gone', message: 'The files of that clip are no longer kept.' });
  }
  const [ogg, mid, png] = read;
  const attached: AttachmentPayload[] = [];
  const left: string[] = [];
  for (const [name, data, what] of [
    [`${base}.ogg`, ogg, 'the audio'],
    [`${base}.mid`, mid, 'the MIDI file'],
    [`${base}.png`, png, 'the picture'],
  ] as const) {
    if (data === undefined) continue;
    if (data.length <= limit) attached.push({ attachment: data, name });
    else left.push(`Not attached: ${what} (over this server's upload limit).`);
  }
  return { attached, left };
}
