// A submission's page (GET /submissions/{id}?key=): polls the JSON API and fills the page in as
// ingest goes.
const id = document.body.dataset.submission;
const key = new URLSearchParams(window.location.search).get('key');
async function refresh() {
  const query = key ? '?key=' + encodeURIComponent(key) : '';
  const res = await fetch('/api/v1/submissions/' + id + query, {headers: {Accept: 'application/json'}});
  if (!res.ok) return setTimeout(refresh, 2000);
  const s = await res.json();
  document.getElementById('state').textContent = s.state + (s.no_face ? ' (no face found)' : '');
  const bar = document.getElementById('progress');
  bar.max = Math.max(1, s.progress.total); bar.value = s.progress.done;
  document.getElementById('reason').textContent = s.reason || '';
  document.getElementById('review').textContent = s.review.state + (s.review.label ? ' as ' + s.review.label : '');
  const faces = document.getElementById('faces');
  if (faces.children.length !== s.tracks.length) {
    faces.replaceChildren(...s.tracks.map(t => {
      const img = document.createElement('img');
      img.className = 'face'; img.src = t.thumbnail_url; img.alt = 'face track ' + t.index + ' (' + t.faces + ' faces)';
      return img;
    }));
  }
  if (s.state === 'queued' || s.state === 'processing' || s.review.state === 'pending') setTimeout(refresh, 1000);
}
refresh();
