// Passkey ceremonies for forms marked data-passkey="authenticate" or "register": fetch a
// challenge from data-options (same origin, the form's CSRF token), run the ceremony with
// @simplewebauthn/browser (served as /assets/simplewebauthn-browser.js), put its JSON answer in
// the form's `response` field and submit the form. Everything is checked on the server; this
// script only carries the ceremony. On the login page (data-conditional), the passkey is also
// offered in the browser's autofill of the email field where supported (conditional mediation).
document.addEventListener('DOMContentLoaded', () => {
  const webauthn = window.SimpleWebAuthnBrowser;
  const forms = document.querySelectorAll('form[data-passkey]');
  if (forms.length === 0 || !webauthn) return;

  async function options(form) {
    const body = new URLSearchParams({ csrf: form.elements.csrf.value });
    for (const field of form.querySelectorAll('[data-passkey-option]')) body.set(field.name, field.value);
    const response = await fetch(form.dataset.options, { method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`options: ${response.status}`);
    return response.json();
  }

  function showError(form, text) {
    const box = form.querySelector('[data-passkey-error]');
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }

  async function ceremony(form, conditional) {
    const optionsJSON = await options(form);
    const answer =
      form.dataset.passkey === 'register'
        ? await webauthn.startRegistration({ optionsJSON })
        : await webauthn.startAuthentication({ optionsJSON, useBrowserAutofill: conditional });
    form.elements.response.value = JSON.stringify(answer);
    form.submit();
  }

  for (const form of forms) {
    if (!webauthn.browserSupportsWebAuthn()) {
      const button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      showError(form, form.dataset.unsupported);
      continue;
    }
    form.addEventListener('submit', (event) => {
      if (form.elements.response.value) return;
      event.preventDefault();
      if (form.dataset.conditional) webauthn.WebAuthnAbortService.cancelCeremony();
      ceremony(form, false).catch(() => showError(form, form.dataset.failed));
    });
    if (form.dataset.conditional) {
      webauthn
        .browserSupportsWebAuthnAutofill()
        .then((supported) => (supported ? ceremony(form, true) : undefined))
        .catch(() => {});
    }
  }
});
