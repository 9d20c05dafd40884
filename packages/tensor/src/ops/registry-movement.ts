/** The movement primitives, one entry per primitive (see ../primitives.ts). */

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface MovementPrimitives {}

export const movementPrimitives: MovementPrimitives = {};
