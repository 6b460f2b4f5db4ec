// The API client for paths the generated schema does not list yet (issue 5, written against the
// contract while the server is built). Same middleware as `client`; goes once schema.d.ts has them.
import type { Client } from 'openapi-fetch'
import { client } from './client'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const untyped = client as unknown as Client<any>
