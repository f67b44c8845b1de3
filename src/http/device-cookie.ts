/**
 * The known-device cookie on the wire: signed with the cookie keys (Koa's keygrip, `.sig`
 * companion cookie), HttpOnly, SameSite=Lax, `__Host-` in production. Its claims and their
 * meaning are sign-in/known-device.ts's; a cookie whose signature does not verify is no cookie.
 */
import type { Context } from 'koa';
import { type DeviceClaims, decodeDeviceClaims, encodeDeviceClaims } from '../sign-in/index.ts';

/** Long enough that the owner's everyday browsers stay known; renewed at every sign-in. */
const DEVICE_COOKIE_DAYS = 180;

const nameFor = (secure: boolean) => (secure ? '__Host-gatehouse.device' : 'gatehouse.device');

export function readDeviceCookie(ctx: Context, secure: boolean): DeviceClaims | undefined {
  return decodeDeviceClaims(ctx.cookies.get(nameFor(secure), { signed: true }));
}

export function writeDeviceCookie(ctx: Context, secure: boolean, claims: DeviceClaims): void {
  ctx.cookies.set(nameFor(secure), encodeDeviceClaims(claims), {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: DEVICE_COOKIE_DAYS * 86_400 * 1000,
    overwrite: true,
  });
}
