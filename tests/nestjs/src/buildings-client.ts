// A NestJS caller of workflows.create, as the reference's buildings service writes it:
// ClientsModule registers a NATS ClientProxy, a service sends with lastValueFrom.
//
// Reads NEST_REQUESTS, a JSON list of {"pattern": <string or object>, "data": ...}; sends
// them one after the other and prints one line per request: `RESULT {"resolved": reply}`
// or `RESULT {"rejected": err}`, as lastValueFrom resolved or rejected.
import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientsModule } from '@nestjs/microservices';
import { lastValueFrom, timeout } from 'rxjs';
import { natsOptions } from './nats-options';

type Pattern = string | Record<string, string>;

@Injectable()
export class BuildingsService {
  constructor(@Inject('WORKFLOWS_SERVICE') private readonly natsClient: ClientProxy) {}

  createWorkflow(pattern: Pattern, payload: unknown): Promise<unknown> {
    return lastValueFrom(this.natsClient.send<unknown, unknown>(pattern, payload).pipe(timeout(5000)));
  }
}

@Module({
  imports: [ClientsModule.register([{ name: 'WORKFLOWS_SERVICE', ...natsOptions() }])],
  providers: [BuildingsService],
})
export class BuildingsModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(BuildingsModule, { logger: ['error', 'warn'] });
  const buildings = app.get(BuildingsService);
  const requests: { pattern: Pattern; data: unknown }[] = JSON.parse(process.env.NEST_REQUESTS || '[]');
  for (const { pattern, data } of requests) {
    try {
      console.log(`RESULT ${JSON.stringify({ resolved: await buildings.createWorkflow(pattern, data) })}`);
    } catch (err) {
      const shown = err instanceof Error ? { name: err.name, message: err.message } : err;
      console.log(`RESULT ${JSON.stringify({ rejected: shown })}`);
    }
  }
  await app.close();
}

void main();
