/** The admin page: posts to /api/notify with the bearer token (kept in sessionStorage). */
import { parseNotificationInput } from '../shared/schema.js';

const field = (id: string) => document.getElementById(id) as HTMLInputElement;
const result = document.getElementById('result') as HTMLElement;
field('token').value = sessionStorage.getItem('push:token') ?? '';

document.getElementById('send-form')?.addEventListener('submit', async (event) => {
  event.preventDefault();
  let data: unknown;
  const dataText = field('data').value.trim();
  if (dataText !== '') {
    try {
      data = JSON.parse(dataText);
    } catch {
      result.textContent = 'Data is not valid JSON.';
      return;
    }
  }
  const input = {
    topic: field('topic').value.trim(),
    title: field('title').value,
    body: field('body').value,
    data,
  };
  const parsed = parseNotificationInput(input);
  if (!parsed.ok) {
    result.textContent = parsed.error;
    return;
  }
  sessionStorage.setItem('push:token', field('token').value);
  const response = await fetch('/api/notify', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${field('token').value}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(parsed.value),
  });
  const answer = (await response.json().catch(() => ({}))) as {
    id?: string;
    seq?: number;
    error?: string;
  };
  result.textContent =
    response.status === 202
      ? `Sent: ${parsed.value.topic} #${answer.seq} (id ${answer.id})`
      : `Failed (${response.status}): ${answer.error ?? 'unknown error'}`;
});
