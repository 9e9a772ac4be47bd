// `time` (nauthilus_gll_time): unix time, sleep, and Go reference-time layouts ("2006-01-02T15:04:05Z07:00").
import type { LuaModule } from '../module';
import { ret, fail, checkArg } from '../values';
import { goFormat, goParse, loadLocation } from './time-layout';

export const timeModule: LuaModule = {
  name: 'time',
  legacyLoaderName: 'nauthilus_gll_time',
  summary: 'unix(), unix_nano(), sleep(seconds), format(unix, layout, tz), parse(value, layout, tz) with Go layouts.',
  install(host) {
    return {
      functions: {
        unix: () => (host.services.clock?.() ?? performance.timeOrigin + performance.now()) / 1000,
        unix_nano: () => Math.round((host.services.clock?.() ?? performance.timeOrigin + performance.now()) * 1e6),
        sleep: (seconds: unknown) => {
          checkArg('sleep', 1, seconds, 'number');
          const ms = Math.max(0, (seconds as number) * 1000);
          const signal = host.call?.abortSignal?.signal;
          return new Promise<void>((resolve) => {
            const t = setTimeout(done, ms);
            function done() {
              clearTimeout(t);
              signal?.removeEventListener('abort', done);
              resolve();
            }
            signal?.addEventListener('abort', done, { once: true });
          });
        },
        format: (unix: unknown, layout: unknown, tz: unknown) => {
          checkArg('format', 1, unix, 'number');
          checkArg('format', 2, layout, 'string', 'nil');
          checkArg('format', 3, tz, 'string', 'nil');
          try {
            return ret(goFormat(unix as number, (layout as string | undefined) ?? 'Mon Jan 2 15:04:05 -0700 MST 2006', loadLocation(tz as string | undefined)));
          } catch (e) {
            return fail((e as Error).message);
          }
        },
        parse: (value: unknown, layout: unknown, tz: unknown) => {
          checkArg('parse', 1, value, 'string');
          checkArg('parse', 2, layout, 'string');
          checkArg('parse', 3, tz, 'string', 'nil');
          try {
            const r = goParse(layout as string, value as string, tz === undefined ? 'UTC' : loadLocation(tz as string));
            return typeof r === 'string' ? fail(r) : ret(r);
          } catch (e) {
            return fail((e as Error).message);
          }
        },
      },
      async: ['sleep'],
    };
  },
};
