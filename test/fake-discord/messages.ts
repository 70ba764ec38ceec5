import { attachmentObject, contentTypeOf, userObject, type FakeUserOptions, type JsonObject } from './objects.ts';
import type { FakeMessage, InteractionRecord, RecordedFile } from './records.ts';
import type { SnowflakeGenerator } from './snowflake.ts';

/** Why Discord refuses a message body, as the status and JSON error it answers with. */
export interface ApiError {
  status: number;
  body: { code: number; message: string; errors?: JsonObject };
}

export type BodyResult = { ok: true } | { ok: false; error: ApiError };

export interface MessageContext {
  snowflake: SnowflakeGenerator;
  origin: () => string;
  attachmentSizeLimit: number;
  register: (attachment: FakeMessage['attachments'][number]) => void;
}

const MAX_CONTENT = 2000;
const MAX_FILES = 10;
const MAX_EMBEDS = 10;

export function invalidFormBody(field: string, code: string, message: string): ApiError {
  return {
    status: 400,
    body: { code: 50035, message: 'Invalid Form Body', errors: { [field]: { _errors: [{ code, message }] } } },
  };
}

export const EMPTY_MESSAGE: ApiError = { status: 400, body: { code: 50006, message: 'Cannot send an empty message' } };

/**
 * Applies a message body (JSON or `payload_json`) and its uploaded files to a message, as create or edit does.
 * On a new message every file becomes an attachment unless `attachments` says otherwise; on an edit, `attachments`
 * lists what to keep (existing ids) and which uploads to add (`{ id: n }` for `files[n]`), and without it the
 * existing attachments stay and uploads are appended.
 */
export function applyMessageBody(
  message: FakeMessage,
  body: JsonObject,
  files: RecordedFile[],
  context: MessageContext,
  mode: 'create' | 'edit',
): BodyResult {
  if ('content' in body && body.content !== null) {
    if (typeof body.content !== 'string')
      return { ok: false, error: invalidFormBody('content', 'STRING_TYPE', 'Not a string.') };
    if (Array.from(body.content).length > MAX_CONTENT) {
      return {
        ok: false,
        error: invalidFormBody('content', 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_CONTENT} or fewer in length.`),
      };
    }
  }
  if (Array.isArray(body.embeds) && body.embeds.length > MAX_EMBEDS) {
    return { ok: false, error: invalidFormBody('embeds', 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.') };
  }
  if (files.length > MAX_FILES) {
    return { ok: false, error: invalidFormBody('files', 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.') };
  }
  if (files.some((file) => file.bytes.length > context.attachmentSizeLimit)) {
    return { ok: false, error: { status: 413, body: { code: 40005, message: 'Request entity too large' } } };
  }

  const uploads = new Map<string, RecordedFile>();
  files.forEach((file, index) => {
    const match = /^files\[(\d+)\]$/.exec(file.field);
    uploads.set(match?.[1] ?? String(index), file);
  });
  const toAttachment = (file: RecordedFile, description: string | null): FakeMessage['attachments'][number] => {
    const id = context.snowflake();
    const filename = file.filename;
    const attachment = {
      id,
      filename,
      contentType: contentTypeOf(filename, file.contentType),
      bytes: file.bytes,
      url: `${context.origin()}/attachments/${message.channelId}/${id}/${encodeURIComponent(filename)}`,
      description,
    };
    context.register(attachment);
    return attachment;
  };

  let attachments = message.attachments;
  if (Array.isArray(body.attachments)) {
    attachments = [];
    for (const entry of body.attachments) {
      if (typeof entry !== 'object' || entry === null) continue;
      const spec = entry as JsonObject;
      const id = typeof spec.id === 'number' || typeof spec.id === 'string' ? String(spec.id) : '';
      const description = typeof spec.description === 'string' ? spec.description : null;
      const upload = uploads.get(id);
      if (upload !== undefined) {
        const filename = typeof spec.filename === 'string' ? spec.filename : upload.filename;
        attachments.push(toAttachment({ ...upload, filename }, description));
        uploads.delete(id);
        continue;
      }
      const kept = message.attachments.find((attachment) => attachment.id === id);
      if (kept === undefined) {
        return {
          ok: false,
          error: invalidFormBody('attachments', 'ATTACHMENT_NOT_FOUND', `Unknown attachment ${id}.`),
        };
      }
      attachments.push(kept);
    }
  } else {
    attachments = [...attachments, ...[...uploads.values()].map((file) => toAttachment(file, null))];
  }

  const next: FakeMessage = {
    ...message,
    content: typeof body.content === 'string' ? body.content : mode === 'edit' ? message.content : '',
    embeds: Array.isArray(body.embeds) ? body.embeds : message.embeds,
    components: Array.isArray(body.components) ? body.components : message.components,
    attachments,
  };
  const empty =
    next.content === '' && next.embeds.length === 0 && next.components.length === 0 && next.attachments.length === 0;
  if (empty && !('poll' in body) && !('sticker_ids' in body)) return { ok: false, error: EMPTY_MESSAGE };
  Object.assign(message, next);
  return { ok: true };
}

export interface MessageObjectContext {
  bot: FakeUserOptions;
  applicationId: string;
  interaction: InteractionRecord | null;
}

/** The message object the API returns and dispatches. */
export function messageObject(message: FakeMessage, context: MessageObjectContext): JsonObject {
  const interaction = context.interaction;
  const object: JsonObject = {
    id: message.id,
    type: message.kind === 'original' && interaction?.object.type === 2 ? 20 : 0,
    channel_id: message.channelId,
    author: userObject({ ...context.bot, bot: true }),
    content: message.content,
    timestamp: message.createdAt,
    edited_timestamp: message.editedAt,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: message.attachments.map(attachmentObject),
    embeds: message.embeds,
    components: message.components,
    pinned: false,
    flags: message.flags,
  };
  if (message.guildId !== null) object.guild_id = message.guildId;
  if (interaction !== null) {
    const user = interactionUser(interaction.object);
    object.webhook_id = context.applicationId;
    object.application_id = context.applicationId;
    object.interaction_metadata = {
      id: interaction.id,
      type: interaction.object.type,
      user,
      authorizing_integration_owners: interaction.object.authorizing_integration_owners,
      ...(message.kind === 'original' ? {} : { original_response_message_id: interaction.originalMessageId }),
    };
  }
  return object;
}

function interactionUser(interaction: JsonObject): unknown {
  const member = interaction.member;
  if (typeof member === 'object' && member !== null && 'user' in member) return member.user;
  return interaction.user ?? null;
}
