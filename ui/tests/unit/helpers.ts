// Helpers for tests that drive the API client with a fake fetch.
import { vi } from 'vitest'
import { createApiClient } from '@/api/client'

export function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
  })
}

export function errorBody(code: string, message = `message of ${code}`) {
  return { code, message, request_id: `rid-${code}` }
}

/** A client whose fetch answers with `answer(request, n)`, n counting the calls to that path from 1. */
export function fakeServer(answer: (req: Request, n: number) => Response | Promise<Response>) {
  const seen: Request[] = []
  const counts = new Map<string, number>()
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    const req = input as Request
    seen.push(req)
    const path = new URL(req.url).pathname
    const n = (counts.get(path) ?? 0) + 1
    counts.set(path, n)
    return answer(req, n)
  })
  const client = createApiClient({ baseUrl: 'http://quanyi.test', fetch: fetch as typeof globalThis.fetch })
  const calls = (path: string) => seen.filter((r) => new URL(r.url).pathname === path)
  return { client, fetch, seen, calls }
}

/** Lets pending promises and microtasks run (several rounds: the middleware awaits a few times). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0))
}
