/* global document, location */
// Login: a same-origin JSON POST; the server sets an HttpOnly session cookie.
'use strict';
document.getElementById('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const err = document.getElementById('login-error');
  err.textContent = '';
  const res = await fetch('/api/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify({ user: document.getElementById('user').value, password: document.getElementById('password').value }),
  });
  if (res.ok) { location.href = '/'; return; }
  const body = await res.json().catch(() => ({}));
  err.textContent = body.error || `login failed (${res.status})`;
});
