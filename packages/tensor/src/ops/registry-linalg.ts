/** The linalg primitives, one entry per primitive (see ../primitives.ts). */

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface LinalgPrimitives {}

export const linalgPrimitives: LinalgPrimitives = {};
