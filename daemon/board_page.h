// The board's one page, compiled into the binary so that it needs no build step, no
// framework and no download. It fetches everything from /events: the page itself holds no
// feed text, and the script inserts feed text only as text nodes (textContent,
// createTextNode), so a title holding markup shows as that markup, never runs. Links are
// followed only when they are http(s), so a feed cannot hand an editor a javascript: URL.
#pragma once

namespace newsmon {

inline constexpr const char* kBoardPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>newsmon board</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 0; background: #f4f4f1; color: #222; }
header { position: sticky; top: 0; display: flex; gap: 1em; align-items: center;
         padding: .5em 1em; background: #222; color: #eee; }
header strong { font-size: 1.1em; }
#status { margin-left: auto; padding: .1em .7em; border-radius: 1em; background: #287a4a; }
#status.down { background: #b3261e; }
main { max-width: 62em; margin: 0 auto; padding: .3em 1em 2em; }
article { background: #fff; margin: .6em 0; padding: .6em .9em; border-left: 5px solid #999; }
article.new { border-color: #287a4a; }
article.update { border-color: #c98a00; }
article.burst { border-color: #b3261e; }
.top, .meta, .more { color: #555; font-size: .85em; }
.kind { text-transform: uppercase; font-weight: bold; padding: 0 .4em; border-radius: .3em;
        background: #e6e6e1; color: #222; }
.new .kind { background: #d5eedd; } .update .kind { background: #f6e4b5; }
.burst .kind { background: #f4cdc9; }
h2 { font-size: 1.05em; margin: .25em 0; }
h2 a { color: #123c7a; text-decoration: none; }
p { margin: .25em 0; }
mark { background: #ffe45c; }
ul.more { margin: .3em 0 0; padding-left: 1.2em; }
</style>
</head>
<body>
<header>
<strong>newsmon</strong>
<label>thread <select id="thread"><option value="">all threads</option></select></label>
<span id="count"></span>
<span id="status">connecting</span>
</header>
<main id="alerts"></main>
<script>
"use strict";
// Alerts of one story in one thread share a row, newest first; a burst has a row of its own.
const groups = new Map();  // by story (or alert), the most recently added last
// A tab left open all night keeps the newest groups and the last few alerts of each, as the
// board itself keeps the newest alerts: the page would otherwise grow until it crawled.
const kMaxGroups = 2000, kAlertsKept = 11;
const threads = new Set();
const list = document.getElementById("alerts");
const picker = document.getElementById("thread");
const statusBadge = document.getElementById("status");
let alertCount = 0;

function node(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function when(rfc3339) {
  const d = new Date(rfc3339);
  return isNaN(d) ? "" : d.toLocaleString([], {month: "short", day: "numeric",
                                              hour: "2-digit", minute: "2-digit"});
}

// Terms as thread files write them: "ukrain*" is a prefix, "power plant" a phrase.
function termPattern(terms) {
  const parts = (terms || []).filter(t => typeof t === "string" && t && t[0] !== "@").map(t =>
      t.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\p{L}\\p{N}]*")
       .replace(/\s+/g, "\\s+"));
  if (!parts.length) return null;
  try {
    return new RegExp("(?<![\\p{L}\\p{N}])(?:" + parts.join("|") + ")(?![\\p{L}\\p{N}])", "giu");
  } catch (e) {
    return null;
  }
}

// Feed text as text nodes, the matched terms in <mark>.
function highlighted(tag, className, text, pattern) {
  const e = node(tag, className);
  text = text || "";
  let from = 0;
  if (pattern) {
    for (const m of text.matchAll(pattern)) {
      if (!m[0]) continue;
      e.appendChild(document.createTextNode(text.slice(from, m.index)));
      e.appendChild(node("mark", null, m[0]));
      from = m.index + m[0].length;
    }
  }
  e.appendChild(document.createTextNode(text.slice(from)));
  return e;
}

function link(target, child) {
  const a = node("a");
  if (typeof target === "string" && /^https?:\/\//i.test(target)) a.href = target;
  a.rel = "noopener noreferrer";
  a.target = "_blank";
  a.appendChild(child);
  return a;
}

function renderBurst(article, alert) {
  const burst = alert.burst || {};
  article.appendChild(node("h2", null, burst.stories + " new stories in " + alert.thread +
                                       " (about " + Number(burst.expected).toFixed(2) +
                                       " expected)"));
  const ul = node("ul", "more");
  for (const s of alert.stories || []) {
    const li = node("li");
    li.appendChild(link(s.link, document.createTextNode(s.title || "")));
    li.appendChild(document.createTextNode(" · " + (s.feed || "") +
                                           (s.source_count > 1 ? " · " + s.source_count +
                                                                 " sources" : "")));
    ul.appendChild(li);
  }
  article.appendChild(ul);
}

function render(group) {
  const alert = group.alerts[0];
  const item = alert.item || {};
  const article = node("article", alert.kind || "new");
  article.dataset.thread = alert.thread;
  const top = node("div", "top");
  top.appendChild(node("span", "kind", alert.kind || "new"));
  top.appendChild(document.createTextNode(" " + alert.thread + " · " + when(alert.detected_at) +
                                          " · #" + alert.seq));
  article.appendChild(top);
  if (alert.kind === "burst") {
    renderBurst(article, alert);
    return article;
  }
  const pattern = termPattern(alert.matched);
  const h2 = node("h2");
  h2.appendChild(link(item.link, highlighted("span", null, item.title, pattern)));
  article.appendChild(h2);
  const story = alert.story;
  let meta = (item.feed || "") + (item.published ? " · published " + when(item.published) : "");
  if (story && story.source_count > 1) {
    meta += " · " + story.source_count + " sources: " + (story.sources || []).join(", ");
  }
  if (alert.matched && alert.matched.length) meta += " · matched: " + alert.matched.join(", ");
  article.appendChild(node("div", "meta", meta));
  if (item.summary) {
    const summary = item.summary.length > 400 ? item.summary.slice(0, 400) + "…" : item.summary;
    article.appendChild(highlighted("p", null, summary, pattern));
  }
  if (group.alerts.length > 1) {
    const ul = node("ul", "more");
    for (const older of group.alerts.slice(1, 10)) {
      const li = node("li");
      const o = older.item || {};
      li.appendChild(document.createTextNode((older.kind || "new") + " · " +
                                             when(older.detected_at) + " · " + (o.feed || "") +
                                             " · "));
      li.appendChild(link(o.link, document.createTextNode(o.title || "")));
      ul.appendChild(li);
    }
    if (group.alerts.length > 10) ul.appendChild(node("li", null, "…"));
    article.appendChild(ul);
  }
  return article;
}

function show(article) {
  article.hidden = picker.value !== "" && article.dataset.thread !== picker.value;
}

function add(alert) {
  const key = alert.kind !== "burst" && alert.story && alert.story.id != null
                  ? alert.thread + "/" + alert.story.id : "#" + alert.seq;
  const group = groups.get(key) || {alerts: []};
  group.alerts.unshift(alert);
  if (group.alerts.length > kAlertsKept) group.alerts.length = kAlertsKept;
  if (group.element) group.element.remove();
  group.element = render(group);
  groups.delete(key);
  groups.set(key, group);
  show(group.element);
  list.prepend(group.element);
  while (groups.size > kMaxGroups) {
    const [oldestKey, oldest] = groups.entries().next().value;
    oldest.element.remove();
    groups.delete(oldestKey);
  }
  if (!threads.has(alert.thread)) {
    threads.add(alert.thread);
    const option = node("option", null, alert.thread);
    option.value = alert.thread;
    picker.appendChild(option);
  }
  alertCount++;
  document.getElementById("count").textContent = alertCount + " alerts";
}

picker.addEventListener("change", () => {
  for (const group of groups.values()) show(group.element);
});

// The daemon's heartbeat comes every few seconds; three missed in a row means the bus is
// silent or down (or the board is). The usual interval is the shortest recently seen.
let lastBeat = Date.now(), beatEvery = 5000, previousBeat = 0;
const gaps = [];
const events = new EventSource("events");
events.onmessage = e => {
  try { add(JSON.parse(e.data)); } catch (err) { console.error(err); }
};
events.addEventListener("heartbeat", e => {
  const beat = JSON.parse(e.data);
  const at = Date.now() - (beat.age_ms || 0);
  if (previousBeat && at > previousBeat) {
    gaps.push(at - previousBeat);
    if (gaps.length > 5) gaps.shift();
    beatEvery = Math.max(1000, Math.min(...gaps));
  }
  previousBeat = at;
  lastBeat = at;
  check();
});
events.addEventListener("reset", () => {
  groups.clear();
  list.replaceChildren();
  alertCount = 0;
});

// A board restarting is back within a heartbeat or two (EventSource reconnects by itself),
// so the badge turns red only on silence, and then says whose.
function check() {
  const silent = Date.now() - lastBeat > 3 * beatEvery;
  const since = new Date(lastBeat).toLocaleTimeString();
  statusBadge.classList.toggle("down", silent);
  statusBadge.textContent =
      !silent ? "live" :
      events.readyState === EventSource.OPEN ? "bus silent since " + since :
      "board unreachable since " + since;
}
setInterval(check, 1000);
</script>
</body>
</html>
)html";

}  // namespace newsmon
