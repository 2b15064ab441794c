// How every part of this app reaches NATS: the same environment as our processes
// (NATS_URL, NATS_USER, NATS_PASSWORD; see stack/system.py), logged in as the user of
// deploy/nats/auth.conf whose role the part plays.
import { NatsOptions, Transport } from '@nestjs/microservices';

export function natsOptions(extra: NatsOptions['options'] = {}): NatsOptions {
  const user = process.env.NATS_USER || undefined;
  return {
    transport: Transport.NATS,
    options: {
      servers: (process.env.NATS_URL || 'nats://127.0.0.1:4222').split(','),
      user,
      pass: process.env.NATS_PASSWORD || undefined,
      // Replies arrive under the user's own inbox branch, the only one auth.conf lets it read.
      inboxPrefix: user ? `_INBOX.${user}` : undefined,
      ...extra,
    },
  };
}
