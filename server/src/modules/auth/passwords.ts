// Password hashing with argon2id at the OWASP minimum (m=19 MiB, t=2, p=1); argon2 hashes on libuv's pool, off the event loop.
import { randomInt } from 'node:crypto';
import argon2 from 'argon2';
import type { Config } from '../../config.js';

export type HashSettings = Config['passwordHash'];

export function hashPassword(password: string, s: HashSettings): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, memoryCost: s.memoryKiB, timeCost: s.timeCost, parallelism: s.parallelism });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** True when a stored hash was made with weaker settings than today's, so it is re-hashed at the next sign-in. */
export function needsRehash(hash: string, s: HashSettings): boolean {
  return argon2.needsRehash(hash, { memoryCost: s.memoryKiB, timeCost: s.timeCost, parallelism: s.parallelism });
}

let dummy: Promise<string> | null = null;
/** A hash to verify against when the user does not exist, so timing does not reveal which usernames exist. */
export function dummyHash(s: HashSettings): Promise<string> {
  dummy ??= hashPassword('not-a-real-password-0', s);
  return dummy;
}

// No 0/O, 1/l/I: a temporary password is read off a screen and typed, or passed on by phone.
const TEMPORARY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/**
 * A temporary password for an invitation or a reset: 12 characters (about 70 bits) in groups of four, with a
 * letter and a digit so that it passes the same rule as a chosen password. Shown once, stored only hashed.
 */
export function temporaryPassword(): string {
  for (;;) {
    const chars = Array.from({ length: 12 }, () => TEMPORARY_ALPHABET[randomInt(TEMPORARY_ALPHABET.length)]).join('');
    if (/[A-Za-z]/.test(chars) && /[0-9]/.test(chars)) return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
  }
}
