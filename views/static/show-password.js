// A "Show password" switch beside every password field that asks for one (data-reveal on the
// input). Without JavaScript the field simply stays hidden; the labels come from the page, so
// they are in the page's language.
document.addEventListener('DOMContentLoaded', () => {
  for (const input of document.querySelectorAll('input[type="password"][data-reveal]')) {
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'link reveal';
    toggle.setAttribute('aria-controls', input.id);
    toggle.setAttribute('aria-pressed', 'false');
    toggle.textContent = input.dataset.reveal;
    toggle.addEventListener('click', () => {
      const shown = input.type === 'text';
      input.type = shown ? 'password' : 'text';
      toggle.setAttribute('aria-pressed', String(!shown));
      toggle.textContent = shown ? input.dataset.reveal : input.dataset.conceal;
    });
    input.insertAdjacentElement('afterend', toggle);
  }
});
