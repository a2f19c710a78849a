/**
 * The per-item loop the HTTP Request node versions share: batching pauses, credential
 * resolution, concurrent requests, and turning each item's outcome into output items or
 * an error. Each item's secrets are collected as soon as its credential is loaded (and
 * grow with OAuth2 tokens obtained while sending), so every error path of that item,
 * thrown or continue-on-fail, is redacted with all of them.
 */
import type { INodeExecutionData, NodeExecuteContext } from '../../../types.js';
import { resolveAuth } from './auth.js';
import { responseToItems, type ResponseOptions } from './response.js';
import { redact, secretsOf, statusError, transportError, type Auth, type OutgoingRequest, type RawResponse } from './transport.js';

export interface Prepared {
  request: OutgoingRequest;
  auth: Auth;
  response: ResponseOptions;
}

export interface ItemRunner<P extends Prepared> {
  /** Which credential names resolveAuth accepts. */
  authMode: 'v1' | 'v3';
  /** Milliseconds to pause before item i's request, after the running ones end (0: no pause). */
  pauseBefore(i: number): number;
  /** Builds item i's request with its resolved credential. */
  prepare(item: INodeExecutionData, i: number, auth: Auth): Promise<P>;
  /** Sends item i's request (several for pagination); OAuth2 tokens used are added to `secrets`. */
  send(prepared: P, i: number, secrets: Set<string>): Promise<RawResponse[]>;
}

type Outcome<P> = { secrets: Set<string> } & ({ responses: RawResponse[]; prepared: P } | { error: unknown });

/** Accept header for a requested response format (n8n's defaults). */
export function defaultAccept(format: 'json' | 'text' | 'other'): string {
  return format === 'json'
    ? 'application/json,text/*;q=0.99'
    : format === 'text'
      ? 'application/json,text/html,application/xhtml+xml,application/xml,text/*;q=0.9, */*;q=0.1'
      : 'application/json,text/html,application/xhtml+xml,application/xml,text/*;q=0.9, image/*;q=0.8, */*;q=0.7';
}

export async function runItems<P extends Prepared>(ctx: NodeExecuteContext, runner: ItemRunner<P>): Promise<INodeExecutionData[]> {
  const items = ctx.getInputData();
  const out: INodeExecutionData[] = [];
  const jobs: Array<Promise<Outcome<P>>> = [];

  for (let i = 0; i < items.length; i++) {
    const pause = runner.pauseBefore(i);
    if (pause > 0) {
      // Wait for the running batch before pausing, so a rate limit is really respected.
      await Promise.all(jobs);
      await ctx.helpers.sleep(pause);
    }
    // Filled before anything of this item can fail, and shared with its request.
    const secrets = new Set<string>();
    let prepared: P;
    try {
      const auth = await resolveAuth(ctx, i, runner.authMode);
      secretsOf(auth, secrets);
      prepared = await runner.prepare(items[i], i, auth);
    } catch (error) {
      jobs.push(Promise.resolve({ error, secrets }));
      continue;
    }
    const job = (async (): Promise<Outcome<P>> => {
      try {
        return { responses: await runner.send(prepared, i, secrets), prepared, secrets };
      } catch (error) {
        return { error, secrets };
      }
    })();
    jobs.push(job);
  }

  const results = await Promise.all(jobs);
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    try {
      if ('error' in r) throw r.error;
      for (const res of r.responses) {
        if (res.statusCode >= 400 && !r.prepared.response.neverError) throw statusError(ctx, res, i, r.secrets);
        out.push(...responseToItems(ctx, res, items[i], i, r.prepared.request.url, r.prepared.response));
      }
    } catch (error) {
      const err = transportError(ctx, error, i, r.secrets);
      if (!ctx.continueOnFail()) throw err;
      out.push({ json: { error: redact(String((err as any)?.message ?? err), r.secrets) }, pairedItem: { item: i } });
    }
  }
  return out;
}
