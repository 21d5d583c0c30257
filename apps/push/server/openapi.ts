/** The HTTP API, described in OpenAPI 3.1 and served at `GET /api` (and `/api/openapi.json`). */
import {
  MAX_BODY_LENGTH,
  MAX_DATA_BYTES,
  MAX_TITLE_LENGTH,
  TOPIC_PATTERN,
} from '../shared/schema.js';

const topicParameter = {
  name: 'topic',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: TOPIC_PATTERN.source },
};

const notification = {
  type: 'object',
  required: ['id', 'topic', 'seq', 'time', 'title', 'body'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    topic: { type: 'string', pattern: TOPIC_PATTERN.source },
    seq: { type: 'integer', minimum: 1, description: 'Per topic, from 1, without gaps.' },
    time: { type: 'integer', description: 'Accept time, ms since the epoch.' },
    title: { type: 'string', minLength: 1, maxLength: MAX_TITLE_LENGTH },
    body: { type: 'string', maxLength: MAX_BODY_LENGTH },
    data: { description: `Any JSON, at most ${MAX_DATA_BYTES} bytes serialized.` },
  },
};

const error = {
  description: 'Refused',
  content: {
    'application/json': {
      schema: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
    },
  },
};

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'wskit push',
    version: '1',
    description:
      'Push notifications: publish over HTTP, receive over the WebSocket at /ws (protocol v1, ' +
      'shared/schema.ts) or, where a proxy refuses WebSockets, over Server-Sent Events.',
  },
  components: {
    schemas: { Notification: notification },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
  },
  paths: {
    '/api/notify': {
      post: {
        summary: 'Publish a notification',
        security: [{ bearer: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['topic', 'title'],
                properties: {
                  topic: notification.properties.topic,
                  title: notification.properties.title,
                  body: notification.properties.body,
                  data: notification.properties.data,
                },
              },
            },
          },
        },
        responses: {
          '202': {
            description: 'Stored durably (fsync or Redis) and being delivered',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    topic: { type: 'string' },
                    seq: { type: 'integer' },
                  },
                },
              },
            },
          },
          '400': error,
          '401': error,
          '413': error,
        },
      },
    },
    '/api/topics/{topic}/notifications': {
      get: {
        summary: "A page of a topic's retained notifications, oldest first",
        parameters: [
          topicParameter,
          {
            name: 'after',
            in: 'query',
            description: 'Return those with seq > after. Omitted: the newest `limit`.',
            schema: { type: 'integer', minimum: 0 },
          },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          },
        ],
        responses: {
          '200': {
            description: 'The page and the topic head (highest seq)',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    topic: { type: 'string' },
                    head: { type: 'integer' },
                    notifications: {
                      type: 'array',
                      items: { $ref: '#/components/schemas/Notification' },
                    },
                  },
                },
              },
            },
          },
          '400': error,
        },
      },
    },
    '/api/topics/{topic}/events': {
      get: {
        summary: 'Server-Sent Events: the WebSocket fallback',
        description:
          'Events `subscribed` (id: where replay starts) and `notification` (id: seq), data as ' +
          'in protocol v1. `Last-Event-ID` (sent by the browser on reconnect) or `after` resumes ' +
          'after that sequence number; neither: only new notifications.',
        parameters: [
          topicParameter,
          { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0 } },
          { name: 'Last-Event-ID', in: 'header', schema: { type: 'integer', minimum: 0 } },
        ],
        responses: {
          '200': { description: 'The stream', content: { 'text/event-stream': {} } },
          '400': error,
        },
      },
    },
    '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'ok' } } } },
  },
} as const;
