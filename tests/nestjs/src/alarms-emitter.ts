// A NestJS alarms-generator, as the reference writes it: `emit('alarm.created', alarm)` on
// a NATS ClientProxy (core NATS, no headers, no reply). Reads NEST_ALARMS, a JSON list of
// alarms, emits each, and exits once NATS has them all.
import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientsModule } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { natsOptions } from './nats-options';

@Injectable()
export class AlarmsGeneratorService {
  constructor(@Inject('ALARMS_SERVICE') private readonly alarmsClient: ClientProxy) {}

  async emitAll(alarms: unknown[]): Promise<void> {
    for (const alarmEvent of alarms) {
      await lastValueFrom(this.alarmsClient.emit('alarm.created', alarmEvent), { defaultValue: undefined });
    }
    await this.alarmsClient.unwrap<{ flush(): Promise<void> }>().flush();
  }
}

@Module({
  imports: [ClientsModule.register([{ name: 'ALARMS_SERVICE', ...natsOptions() }])],
  providers: [AlarmsGeneratorService],
})
export class AlarmsGeneratorModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AlarmsGeneratorModule, { logger: ['error', 'warn'] });
  const alarms: unknown[] = JSON.parse(process.env.NEST_ALARMS || '[]');
  await app.get(AlarmsGeneratorService).emitAll(alarms);
  console.log(`emitted ${alarms.length} alarm.created`);
  await app.close();
}

void main();
