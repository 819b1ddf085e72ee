// The contributor form (GET /): the upload goes through XMLHttpRequest so the page can show its
// progress; without scripts the form posts normally and the server redirects.
const form = document.getElementById('submit-form');
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const status = document.getElementById('status');
  const bar = document.getElementById('progress');
  status.textContent = '';
  const xhr = new XMLHttpRequest();
  xhr.open('POST', '/submit');
  xhr.setRequestHeader('Accept', 'application/json');
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) { bar.hidden = false; bar.value = 100 * e.loaded / e.total; } };
  xhr.onload = () => {
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) {}
    if (xhr.status === 202 && body) { bar.value = 100; window.location = body.page_url; return; }
    status.textContent = body && body.error ? body.error.message : 'The upload failed (HTTP ' + xhr.status + ').';
  };
  xhr.onerror = () => { status.textContent = 'The upload failed: the connection broke.'; };
  document.getElementById('send').disabled = true;
  xhr.onloadend = () => { document.getElementById('send').disabled = false; };
  xhr.send(new FormData(form));
});
