/** Where the test servers are; overridable for other machines. */
export const PG_BASE = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function dbUrl(name: string): string {
  return `${PG_BASE}/${name}`;
}

export function adminUrl(): string {
  return dbUrl('postgres');
}
