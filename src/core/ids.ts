import { randomUUID } from 'node:crypto';

/** Makes opaque identifiers for new records. Injected so tests can predict them. */
export type IdGenerator = () => string;

export const randomId: IdGenerator = () => randomUUID();
