// The office dashboard's live activity feed: polls /api/v1/activity with the last ETag, so a
// poll with nothing new is a 304 with no body. New events are drawn at the top like the
// server draws them (templates/office/_feed.html). Without JavaScript the page is a snapshot.

const feed = document.querySelector("[data-feed]");
const MAX_ITEMS = 60;

function initials(name) {
  const parts = (name || "?").trim().split(/\s+/);
  return ((parts[0]?.[0] || "?") + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

function ago(iso) {
  const seconds = (Date.now() - new Date(iso).getTime()) / 1000;
  if (seconds < 60) return "just now";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return days === 1 ? "1 day ago" : `${days} days ago`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function feedItem(event) {
  const who = event.actor || "System";
  const item = element("li", "feed-new");
  item.dataset.event = event.id;
  const avatar = element("span", "avatar", initials(who));
  avatar.setAttribute("aria-hidden", "true");
  const what = element("div", "what");
  what.append(element("div", "", event.summary));
  const meta = element("div", "muted small", `${who} · `);
  const time = element("time", "", ago(event.at));
  time.dateTime = event.at;
  meta.append(time);
  if (event.job && event.url) {
    meta.append(" · ");
    const link = element("a", "", event.job);
    link.href = event.url;
    meta.append(link);
  }
  what.append(meta);
  item.append(avatar, what);
  return item;
}

function refreshTimes() {
  for (const time of feed.querySelectorAll("time[datetime]")) {
    time.textContent = ago(time.dateTime);
  }
}

function say(status, text) {
  if (status) status.textContent = text;
}

if (feed) {
  const status = document.querySelector("[data-feed-status]");
  const empty = document.querySelector("[data-feed-empty]");
  const interval = Number(feed.dataset.interval) || 5000;
  let after = Number(feed.dataset.after) || 0;
  let etag = feed.dataset.etag || "";
  let timer = null;
  let failures = 0;

  async function poll() {
    timer = null;
    try {
      const url = new URL(feed.dataset.url, window.location.href);
      url.searchParams.set("after", after);
      const headers = { Accept: "application/json" };
      if (etag) headers["If-None-Match"] = etag;
      // no-store: the 304 must reach this code, not be turned into a cached 200 by the browser.
      const response = await fetch(url, { headers, cache: "no-store", credentials: "same-origin" });
      if (response.status === 401) {
        say(status, "Signed out: reload to sign in again.");
        return;
      }
      if (response.ok) {
        const body = await response.json();
        etag = response.headers.get("ETag") || etag;
        after = Math.max(after, body.latest || 0);
        const fresh = body.events.filter((event) => !feed.querySelector(`[data-event="${event.id}"]`));
        for (const event of fresh.reverse()) feed.prepend(feedItem(event));
        while (feed.children.length > MAX_ITEMS) feed.lastElementChild.remove();
        if (empty && feed.children.length) empty.hidden = true;
      } else if (response.status !== 304) {
        throw new Error(`HTTP ${response.status}`);
      }
      failures = 0;
      refreshTimes();
      say(status, `Live · checked ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`);
    } catch {
      failures += 1;
      say(status, "Offline: the feed will catch up when the connection is back.");
    }
    schedule();
  }

  function schedule() {
    if (timer || document.hidden) return;
    // Back off while failing, up to a minute; a good poll resets it.
    timer = setTimeout(poll, Math.min(interval * 2 ** failures, 60000));
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else {
      poll();
    }
  });
  schedule();
}
