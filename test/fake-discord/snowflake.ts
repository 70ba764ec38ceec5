/** Discord's epoch, the first second of 2015, in Unix milliseconds. */
export const DISCORD_EPOCH = 1420070400000n;

export type SnowflakeGenerator = () => string;

/**
 * Snowflakes shaped like Discord's: milliseconds since the Discord epoch << 22 | worker << 17 | process << 12 |
 * increment. Instance-scoped (one per fake), strictly increasing, so ids sort in creation order as on Discord.
 */
export function createSnowflakeGenerator(now: () => number = Date.now, worker = 1n): SnowflakeGenerator {
  let last = 0n;
  let increment = 0n;
  return () => {
    const next = ((BigInt(now()) - DISCORD_EPOCH) << 22n) | (worker << 17n) | (increment++ & 0xfffn);
    last = next > last ? next : last + 1n;
    return last.toString();
  };
}

/** When a snowflake was made, in Unix milliseconds. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}
