// Electron's entry point (electron-builder sets package.json "main" to dist/main/electron-main.js): the only file
// that loads `electron`, at run time; everything it drives is in desktop-app.ts.
import { startDesktop } from './desktop-app';
import type { ElectronMain } from './electron-shapes';

const electron = require('electron') as ElectronMain;

startDesktop(electron).catch((e: unknown) => {
  const message = (e as Error)?.stack ?? String(e);
  process.stderr.write(`authstudio: the desktop app failed to start: ${message}\n`);
  electron.dialog.showErrorBox('AuthStudio failed to start', message);
  electron.app.exit(1);
});
