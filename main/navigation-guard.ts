// Keeps the window on the studio: no navigation away, no new windows, no <webview>, no permissions; links to the
// web open in the system browser instead.
import type { PreventableEvent, SessionShape, WebContentsShape } from './electron-shapes';
import { APP_ORIGIN } from './app-protocol';

/** True for URLs of the studio page itself (app://studio/...). */
export function isAppUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

/** http(s) links the user clicked may open in the system browser; nothing else leaves the app. */
export function isExternalLink(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Block navigation, new windows and <webview> on these contents; hand web links to `openExternal`. */
export function guardNavigation(contents: WebContentsShape, openExternal: (url: string) => void): void {
  const stay = (event: PreventableEvent, url: string) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
  };
  contents.on('will-navigate', stay);
  contents.on('will-redirect', stay);
  contents.on('will-frame-navigate', stay);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/** The studio asks for no permission (camera, notifications, geolocation, ...): refuse them all. */
export function denyPermissions(session: SessionShape): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
