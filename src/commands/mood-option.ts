/** The mood option of /compose and /radio: the four moods as fixed choices, so Discord offers only valid ones. */
import { ApplicationCommandOptionType, type APIApplicationCommandStringOption } from 'discord.js';

import { MOOD_NAMES } from '../music/moods.ts';

export const MOOD_OPTION: APIApplicationCommandStringOption = {
  type: ApplicationCommandOptionType.String,
  name: 'mood',
  description: 'How it should feel',
  choices: MOOD_NAMES.map((name) => ({ name, value: name })),
};
