/**
 * What a job's message says at each stage: the progress line (queue position and wait, composing k/n,
 * rendering), the finished clip (embed, attachments within the upload limit, buttons and the track select),
 * and the endings (failed, cancelled). Pure: files come in as bytes, messages go out as discord.js options.
 */
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  EmbedBuilder,
  StringSelectMenuBuilder,
  type APIEmbedField,
  type AttachmentPayload,
  type MessageActionRowComponentBuilder,
} from 'discord.js';

import type { ClipMeta } from '../inference/clip-meta.ts';
import type { JobProgress } from '../inference/job-events.ts';
import { describeWait } from '../inference/job-queue.ts';
import { escapeMarkdown } from '../markdown.ts';
import { customId } from './command.ts';

/** The custom-id prefixes of the buttons and the select on a clip's message. */
export const ClipAction = {
  play: 'play',
  vary: 'vary',
  extend: 'extend',
  regenerate: 'regen',
  like: 'like',
  dislike: 'dislike',
} as const;
export type ClipAction = (typeof ClipAction)[keyof typeof ClipAction];

/** Discord's upload limit without boosts, for a job whose interaction's own limit is unknown (after a restart). */
export const DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024;

const TRACK_CHOICES = [
  { value: 'melody', label: 'New melody', emoji: '🎵' },
  { value: 'harmony', label: 'New chords', emoji: '🎹' },
  { value: 'bass', label: 'New bass line', emoji: '🎸' },
  { value: 'drums', label: 'New drums', emoji: '🥁' },
] as const;

/** One line per stage: "⏳ In the queue: position 2, starts in about 3 seconds." */
export function progressText(progress: JobProgress): string {
  const eta = progress.etaSeconds === undefined ? '' : describeWait(progress.etaSeconds);
  switch (progress.stage) {
    case 'queued':
      return `⏳ In the queue: position ${progress.position ?? '?'}${eta === '' ? '' : `, starts in ${eta}`}.`;
    case 'composing':
      return `🎼 Composing ${progress.step ?? 0}/${progress.steps ?? '?'}${eta === '' ? '' : ` (${eta} left)`}…`;
    case 'rendering':
      return '🎚️ Rendering…';
  }
}

export interface ClipFiles {
  readonly ogg: Uint8Array;
  readonly mid: Uint8Array;
  readonly png: Uint8Array;
}

export interface FinishedMessageInput {
  readonly clipId: string;
  readonly ownerId: string;
  readonly meta: ClipMeta;
  readonly files: ClipFiles;
  /** From the request to the finished files, in ms. */
  readonly tookMs: number;
  /** The interaction's attachment_size_limit, in bytes. */
  readonly attachmentSizeLimit: number;
}

export interface ClipMessage {
  readonly content: string;
  readonly embeds: EmbedBuilder[];
  readonly files: AttachmentPayload[];
  readonly components: ActionRowBuilder<MessageActionRowComponentBuilder>[];
}

/** The finished clip: who it is for, an embed with everything that made it, the files that fit, the buttons. */
export function finishedMessage(input: FinishedMessageInput): ClipMessage {
  const { meta } = input;
  const base = fileBase(meta);
  const candidates = [
    { name: `${base}.ogg`, data: input.files.ogg, what: 'the audio' },
    { name: `${base}.mid`, data: input.files.mid, what: 'the MIDI file' },
    { name: `${base}.png`, data: input.files.png, what: 'the picture' },
  ];
  const files: AttachmentPayload[] = [];
  const left: string[] = [];
  for (const file of candidates) {
    if (file.data.length <= input.attachmentSizeLimit) {
      files.push({ attachment: Buffer.from(file.data), name: file.name });
    } else {
      left.push(
        `${file.what} (${megabytes(file.data.length)}, over this server's ${megabytes(input.attachmentSizeLimit)} upload limit)`,
      );
    }
  }

  const r = meta.resolved;
  const fields: APIEmbedField[] = [
    { name: 'Style', value: meta.request.style, inline: true },
    { name: 'Key', value: r.keyName, inline: true },
    { name: 'Tempo', value: `${Math.round(r.tempo)} bpm`, inline: true },
    { name: 'Length', value: `${formatSeconds(r.durationSeconds)} s`, inline: true },
    { name: 'Seed', value: String(meta.request.seed), inline: true },
    { name: 'Model', value: `${meta.model.name} ${meta.model.version}`, inline: true },
    { name: 'Time taken', value: `${formatSeconds(input.tookMs / 1000)} s`, inline: true },
  ];
  if (meta.request.mood !== undefined) fields.splice(1, 0, { name: 'Mood', value: meta.request.mood, inline: true });
  if (left.length > 0) fields.push({ name: 'Not attached', value: left.join('; ') });
  const embed = new EmbedBuilder()
    .setTitle(meta.title.slice(0, 256))
    .setColor(0x5865f2)
    .addFields(fields)
    .setFooter({ text: `clip ${input.clipId}` });
  if (files.some((file) => file.name === `${base}.png`)) embed.setImage(`attachment://${base}.png`);

  return {
    content: `${kindLine(meta)} for <@${input.ownerId}>`,
    embeds: [embed],
    files,
    components: clipComponents(input.clipId),
  };
}

/** The buttons and the select under a finished clip; anyone in the guild may use them. */
export function clipComponents(clipId: string): ActionRowBuilder<MessageActionRowComponentBuilder>[] {
  const button = (action: ClipAction, label: string, emoji: string, style = ButtonStyle.Secondary): ButtonBuilder =>
    new ButtonBuilder().setCustomId(customId(action, clipId)).setLabel(label).setEmoji(emoji).setStyle(style);
  const buttons = new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(
    button(ClipAction.play, 'Play in voice', '▶️', ButtonStyle.Primary),
    button(ClipAction.vary, 'Variation', '🔁'),
    button(ClipAction.extend, 'Extend', '➕'),
    button(ClipAction.like, 'Like', '👍'),
    button(ClipAction.dislike, 'Dislike', '👎'),
  );
  const select = new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(
    new StringSelectMenuBuilder()
      .setCustomId(customId(ClipAction.regenerate, clipId))
      .setPlaceholder('Regenerate one track…')
      .addOptions(TRACK_CHOICES.map((choice) => ({ ...choice }))),
  );
  return [buttons, select];
}

function kindLine(meta: ClipMeta): string {
  const title = `**${escapeMarkdown(meta.title)}**`;
  switch (meta.kind) {
    case 'compose':
      return `🎶 ${title}`;
    case 'variation':
      return `🔁 ${title}`;
    case 'extension':
      return `➕ ${title}`;
    case 'regenerate':
      return `🎛️ ${title}`;
  }
}

/** "jazz-7", "jazz-8-variation": the CLI's naming, safe for any file system. */
export function fileBase(meta: ClipMeta): string {
  const style = (meta.request.style.split(/[:,]/)[0] ?? 'clip').replace(/[^\w-]/g, '') || 'clip';
  const suffix = meta.kind === 'compose' ? '' : `-${meta.kind}`;
  return `${style}-${meta.request.seed}${suffix}`;
}

function formatSeconds(seconds: number): string {
  return seconds.toFixed(1);
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
