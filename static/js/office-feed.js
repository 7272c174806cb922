// The office dashboard's live activity feed: polls /api/v1/activity with the last ETag, so a
// poll with nothing new is a 304 with no body. New events are drawn at the top like the
// server draws them (templates/office/_feed.html), and the same poll brings the dashboard's
// other live parts (tech cards, counters, lists, badges; see live.js). Without JavaScript the
// page is a snapshot.

import { watchFeed } from "./live.js";

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

if (feed) {
  const empty = document.querySelector("[data-feed-empty]");
  watchFeed(feed, {
    status: document.querySelector("[data-feed-status]"),
    onBody(body) {
      const fresh = body.events.filter((event) => !feed.querySelector(`[data-event="${event.id}"]`));
      for (const event of fresh.reverse()) feed.prepend(feedItem(event));
      while (feed.children.length > MAX_ITEMS) feed.lastElementChild.remove();
      if (empty && feed.children.length) empty.hidden = true;
    },
  });
  // The feed's times ("2 min ago") keep up between events too.
  setInterval(refreshTimes, 30000);
}
