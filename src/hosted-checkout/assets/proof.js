/* global document, HTMLFormElement, fetch */
// The proof form's screenshot goes the API's upload way: ask this page for a presigned upload,
// PUT the file there, then post the form with the upload's key. Without a file (or without
// script) the form posts its text as it is.
document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-proof-form')) return;
  const input = form.querySelector('input[data-proof-image]');
  const file = input && input.files && input.files[0];
  if (!file || form.dataset.uploaded === 'true') return;
  event.preventDefault();
  const status = form.querySelector('[data-proof-status]');
  const say = (text) => {
    if (status) status.textContent = text;
  };
  const button = form.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  try {
    say('Uploading the screenshot…');
    const asked = await fetch(form.dataset.uploadUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ file_name: file.name, content_type: file.type, content_length: file.size }),
    });
    const answer = await asked.json();
    if (!asked.ok) throw new Error(answer.message || 'The screenshot was refused.');
    const put = await fetch(answer.url, { method: 'PUT', headers: answer.headers, body: file });
    if (!put.ok) throw new Error('The screenshot could not be uploaded: please try again.');
    form.querySelector('input[name="image_key"]').value = answer.key;
    form.dataset.uploaded = 'true';
    form.submit();
  } catch (error) {
    say(error instanceof Error ? error.message : String(error));
    if (button) button.disabled = false;
  }
});
