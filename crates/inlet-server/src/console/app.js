// Inlet console: live job progress. Every element with data-job-events
// follows that job's Server-Sent Events and shows its status and records
// read until the job ends. Nothing else on the console needs script.
"use strict";
for (const el of document.querySelectorAll("[data-job-events]")) {
  const source = new EventSource(el.dataset.jobEvents);
  const show = (job) => {
    const status = el.querySelector('[data-field="status"]');
    status.textContent = job.status;
    status.className = "badge " + job.status;
    el.querySelector('[data-field="read"]').textContent = job.counts.read;
  };
  source.addEventListener("progress", (e) => show(JSON.parse(e.data)));
  source.addEventListener("end", (e) => {
    const job = JSON.parse(e.data);
    show(job);
    source.close();
    // Read your writes: the search waits until this node's index holds
    // everything the job wrote.
    const search = el.querySelector('[data-field="search"]');
    if (search && job.indexSeq !== undefined) {
      search.href = "/search?after=" + job.indexSeq;
      search.hidden = false;
    }
  });
}
