// The assembly corpus: the machinery (corpus-kit.ts), the unsafe and the safe programs.
export * from './corpus-kit.ts';
export { UNSAFE } from './corpus-unsafe.ts';
export { SAFE } from './corpus-safe.ts';
