// Client-side mirrors of the field rules in shared/api/auth.ts and shared/api/users.ts
// (kept as plain patterns so the web bundle does not load TypeBox at runtime).
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
const PASSWORD_PATTERN = /^(?=.*[A-Za-z])(?=.*[0-9]).+$/;
export const USERNAME_PATTERN = /^[A-Za-z0-9_.@-]{3,64}$/;
export const PHONE_PATTERN = /^1[3-9][0-9]{9}$/;

export function isValidNewPassword(value: string): boolean {
  return value.length >= PASSWORD_MIN && value.length <= PASSWORD_MAX && PASSWORD_PATTERN.test(value);
}
