/**
 * The reference point for the daemon's HTTP overhead: a bare Hono hello-world on
 * @hono/node-server, in a process of its own (as the daemon is). Prints its port, then serves
 * until SIGTERM.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/hello', (c) => c.json({ hello: 'world' }));

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.stdout.write(`${info.port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
