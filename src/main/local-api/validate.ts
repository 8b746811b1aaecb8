// zod validation of every body through Hono's validator, with failures in OpenAI's error shape.
import { zValidator } from '@hono/zod-validator';
import type { z } from 'zod';
import { invalidRequest } from './errors.ts';

export const body = <T extends z.ZodType>(schema: T) =>
  zValidator('json', schema, (result) => {
    if (result.success) return;
    const issue = result.error.issues[0];
    const param = issue?.path.length ? issue.path.map(String).join('.') : null;
    throw invalidRequest(`${param ?? 'body'}: ${issue?.message ?? 'invalid'}`, param);
  });
