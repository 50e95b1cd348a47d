// sd-notify ships no types; we narrow what it exports at run time (notify.ts).
declare module 'sd-notify' {
  const sdNotify: unknown;
  export default sdNotify;
}
