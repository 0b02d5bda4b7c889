// Shows every <time datetime> in the reader's time zone and language; the
// server wrote UTC, which stays when scripts are off.
for (const t of document.querySelectorAll("time[datetime]")) {
  const d = new Date(t.dateTime);
  if (!isNaN(d)) {
    t.textContent = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    t.title = d.toISOString();
  }
}
