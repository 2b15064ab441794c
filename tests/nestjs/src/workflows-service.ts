// A NestJS workflows-service, as the reference system writes it: a NATS microservice in the
// queue group `workflows-service` answering `{ cmd: 'workflows.create' }` (and the string
// pattern of the reference's README). Workflows live in memory; ids are unique across
// replicas (REPLICA * 1,000,000 + a counter), so a test can tell which replica answered.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, MessagePattern, NatsContext, Payload, RpcException } from '@nestjs/microservices';
import { natsOptions } from './nats-options';

interface CreateWorkflowDto {
  name: string;
  buildingId: number;
}

interface Workflow extends CreateWorkflowDto {
  id: number;
}

const REPLICA = Number(process.env.REPLICA || '1');

@Controller()
export class WorkflowsController {
  private created = 0;

  @MessagePattern({ cmd: 'workflows.create' })
  create(@Payload() dto: CreateWorkflowDto, @Ctx() context: NatsContext): Workflow {
    const errors: string[] = [];
    if (typeof dto?.name !== 'string' || dto.name.length === 0) errors.push('name must be a non-empty string');
    if (!Number.isInteger(dto?.buildingId) || dto.buildingId < 1) errors.push('buildingId must be a positive integer');
    if (errors.length > 0) {
      throw new RpcException({ statusCode: 400, message: errors, error: 'Bad Request' });
    }
    const workflow = { id: REPLICA * 1_000_000 + ++this.created, name: dto.name, buildingId: dto.buildingId };
    console.log(`workflow ${workflow.id} created for building ${workflow.buildingId} on ${context.getSubject()}`);
    return workflow;
  }

  @MessagePattern('workflows.create')
  createWithStringPattern(@Payload() dto: CreateWorkflowDto, @Ctx() context: NatsContext): Workflow {
    return this.create(dto, context);
  }
}

@Module({ controllers: [WorkflowsController] })
export class WorkflowsModule {}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice(
    WorkflowsModule,
    natsOptions({ queue: 'workflows-service', name: `nest-workflows-${REPLICA}` }),
  );
  app.enableShutdownHooks();
  await app.listen();
  console.log(`nest workflows-service replica ${REPLICA} listening`);
}

void bootstrap();
