/** CSS pixels of the on-screen UI, and the world size of the CRT glass it is mapped onto. */
export const SCREEN_PX = { width: 400, height: 311 };
export const SCREEN_WORLD = { width: 1.84, height: 1.43, center: [0, 0.55, 0.04] as const };
