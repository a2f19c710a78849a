import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import pg from 'pg';
import { AMQP_URL, REDIS_URL, adminUrl, dbUrl } from './urls.js';

export interface TestEnv {
  /** This file's own database, cloned from the migrated template. */
  databaseUrl: string;
  databaseName: string;
  redisUrl: string;
  /** Every Redis key and channel of this file starts with it. */
  redisPrefix: string;
  /** Every RabbitMQ exchange and queue of this file starts with it. */
  amqpUrl: string;
  amqpPrefix: string;
  /** A temporary HOME / XDG dirs, so config, token files and keys stay inside the test. */
  home: string;
  /** Environment for a spawned CLI: only the test's settings, none of the developer's. */
  env: NodeJS.ProcessEnv;
  /** A superuser pool on this file's database, for assertions that bypass the product. */
  pool: pg.Pool;
  cleanup(): Promise<void>;
}

/**
 * The environment of a spawned CLI living in `home`: only PATH and the test's own directories,
 * none of the developer's settings, and no OS keychain (the documented file fallback).
 */
export function homeEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    JOBSPRINT_KEYRING: 'file',
  };
}

export async function createTestEnv(opts: { redis?: boolean; amqp?: boolean } = {}): Promise<TestEnv> {
  const id = randomBytes(5).toString('hex');
  const databaseName = `jobsprint_test_${id}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${databaseName} TEMPLATE ${inject('templateDb')}`);
  } finally {
    await admin.end();
  }
  const databaseUrl = dbUrl(databaseName);
  const home = mkdtempSync(join(tmpdir(), 'jobsprint-test-'));
  const redisPrefix = `test:${id}:`;
  const amqpPrefix = `jobsprint-test-${id}`;
  const env: NodeJS.ProcessEnv = {
    ...homeEnv(home),
    JOBSPRINT_DATABASE_URL: databaseUrl,
    JOBSPRINT_REDIS_PREFIX: redisPrefix,
    JOBSPRINT_AMQP_PREFIX: amqpPrefix,
  };
  if (opts.redis !== false) env.JOBSPRINT_REDIS_URL = REDIS_URL;
  if (opts.amqp !== false) env.JOBSPRINT_AMQP_URL = AMQP_URL;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', () => {});

  return {
    databaseUrl,
    databaseName,
    redisUrl: REDIS_URL,
    redisPrefix,
    amqpUrl: AMQP_URL,
    amqpPrefix,
    home,
    env,
    pool,
    async cleanup() {
      await pool.end().catch(() => {});
      const c = new pg.Client({ connectionString: adminUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => {});
      await c.end();
      await deleteRedisKeys(redisPrefix).catch(() => {});
      if (opts.amqp !== false) await deleteBrokerTopology(amqpPrefix).catch(() => {});
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * The file's work queue, dead-letter queue and exchanges, named as the product's topology names
 * them, so a test run leaves nothing on the shared broker. (Per-delay retry queues expire on their own.)
 */
async function deleteBrokerTopology(prefix: string): Promise<void> {
  const { topology } = await import('../../src/core/executions/topology.js');
  const names = topology(prefix);
  const amqp = await import('amqplib');
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    await ch.deleteQueue(names.queue);
    await ch.deleteQueue(names.deadQueue);
    await ch.deleteExchange(names.exchange);
    await ch.deleteExchange(names.deadExchange);
    await ch.close();
  } finally {
    await conn.close().catch(() => {});
  }
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
