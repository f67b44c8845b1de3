// Sign-out confirmation is skipped when the app proved it belongs to this session (a valid
// id_token_hint with this session's sid): the "yes" button is pressed for the user. Without
// JavaScript the page simply asks.
document.addEventListener('DOMContentLoaded', () => {
  const yes = document.querySelector('[data-auto-logout]');
  if (yes) yes.click();
});
