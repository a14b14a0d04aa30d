// The auction house page: loads the house (/api/auctions), then follows
// every committed event (/events, Server-Sent Events) and applies it here;
// the cluster panel asks /api/cluster every second. Read-only.
"use strict";

let house = null;           // {seq, primary, term, auctions: Map id -> auction, recent: []}
let stream = null;
let fresh = new Set();      // auctions whose highest bid just changed
let lastPrimary = null;

const RECENT = 20;

function text(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function setFeed(state, words) {
  const feed = document.getElementById("feed");
  feed.dataset.state = state;
  feed.textContent = words;
}

async function load() {
  try {
    const answer = await fetch("/api/auctions", { cache: "no-store" });
    if (!answer.ok) throw new Error(answer.status);
    const loaded = await answer.json();
    house = { seq: loaded.seq, primary: loaded.primary, term: loaded.term,
              auctions: new Map(), recent: loaded.recent };
    for (const auction of loaded.auctions.slice().reverse()) house.auctions.set(auction.auction, auction);
    render();
    follow(loaded.seq);
  } catch (error) {
    setFeed("down", "cannot load the house; trying again");
    setTimeout(load, 1000);
  }
}

// Events after `after`; the browser resumes after the last id it saw by
// itself (Last-Event-ID), and a reset means: load the house again
function follow(after) {
  if (stream) stream.close();
  stream = new EventSource("/events?after=" + after);
  stream.onopen = () => setFeed("live", "live");
  stream.onmessage = (message) => {
    apply(JSON.parse(message.data));
    render();
  };
  stream.addEventListener("reset", () => {
    stream.close();
    stream = null;
    load();
  });
  stream.onerror = () => {
    setFeed("down", "feed lost; reconnecting…");
    // The browser retries by itself after a lost connection, but not after
    // an answer that is no stream (gavel-web starting, or too many
    // streams): then load the house again, a second later
    if (stream.readyState === EventSource.CLOSED) {
      stream = null;
      setTimeout(load, 1000);
    }
  };
}

function auctionOf(id) {
  let auction = house.auctions.get(id);
  if (!auction) {
    auction = { auction: id, item: "", seller: "", closes_at: 0, reserve: 0, state: "open",
                amount: 0, bidder: "", bids: 0, winner: "" };
    house.auctions.set(id, auction);
  }
  return auction;
}

function apply(event) {
  if (event.seq <= house.seq) return;
  house.seq = event.seq;
  if (event.event === "primary") {
    house.primary = event.primary;
    house.term = event.term;
  } else if (event.event === "opened") {
    const auction = auctionOf(event.auction);
    Object.assign(auction, { item: event.item, seller: event.by, closes_at: event.closes_at,
                             reserve: event.reserve });
  } else if (event.event === "bid") {
    const auction = auctionOf(event.auction);
    Object.assign(auction, { amount: event.amount, bidder: event.bidder, bids: auction.bids + 1 });
    fresh.add(event.auction);
    house.recent.unshift({ seq: event.seq, stamp: event.stamp, auction: event.auction,
                           bidder: event.bidder, amount: event.amount });
    house.recent.length = Math.min(house.recent.length, RECENT);
  } else if (event.event === "closed") {
    const auction = auctionOf(event.auction);
    auction.state = "closed";
    auction.winner = event.winner;
    if (event.amount > 0) Object.assign(auction, { amount: event.amount, bidder: event.winner });
  }
}

function countdown(auction) {
  if (!auction.closes_at) return "";
  const left = auction.closes_at - Date.now();
  if (left <= 0) return "closing…";
  const seconds = Math.ceil(left / 1000);
  const h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
  return "closes in " + (h ? h + "h " : "") + (h || m ? m + "m " : "") + s + "s";
}

function card(auction) {
  const open = auction.state === "open";
  const highest = auction.bids || auction.amount
    ? `<div class="amount">${text(auction.amount)}</div><div class="bidder">by <span class="name">${text(auction.bidder)}</span>, ${text(auction.bids)} bid${auction.bids === 1 ? "" : "s"}</div>`
    : `<div class="amount none">no bid yet</div><div class="bidder">reserve ${text(auction.reserve)}</div>`;
  const end = open
    ? `<div class="countdown">${text(countdown(auction))}</div>`
    : `<div class="result">${auction.winner && auction.winner !== "none"
        ? `won by <span class="winner">${text(auction.winner)}</span> at ${text(auction.amount)}`
        : "no winner"}</div>`;
  return `<article class="auction${fresh.has(auction.auction) ? " fresh" : ""}" data-auction="${text(auction.auction)}" data-state="${text(auction.state)}">
    <div class="item">${text(auction.item || "auction " + auction.auction)}</div>
    <div class="meta">#${text(auction.auction)}${auction.seller ? " · sold by " + text(auction.seller) : ""}</div>
    ${highest}${end}</article>`;
}

function render() {
  const auctions = [...house.auctions.values()].sort((a, b) => b.auction - a.auction);
  const open = auctions.filter((a) => a.state === "open");
  const closed = auctions.filter((a) => a.state === "closed");
  document.getElementById("open").innerHTML = open.length
    ? open.map(card).join("") : '<p class="empty">No auction is open.</p>';
  document.getElementById("closed").innerHTML = closed.length
    ? closed.map(card).join("") : '<p class="empty">No auction has closed yet.</p>';
  document.getElementById("recent").innerHTML = house.recent.map((bid) =>
    `<li data-seq="${text(bid.seq)}"><span class="when">${text(new Date(bid.stamp).toLocaleTimeString())}</span>` +
    `${text(bid.bidder)} bid ${text(bid.amount)} on #${text(bid.auction)}</li>`).join("");
  fresh.clear();
}

function tick() {
  if (!house) return;
  for (const element of document.querySelectorAll('#open .auction')) {
    const auction = house.auctions.get(Number(element.dataset.auction));
    const place = element.querySelector(".countdown");
    if (auction && place) place.textContent = countdown(auction);
  }
}

async function cluster() {
  try {
    const answer = await fetch("/api/cluster", { cache: "no-store" });
    if (!answer.ok) throw new Error(answer.status);
    const state = await answer.json();
    const primary = document.getElementById("primary");
    if (state.primary === null) {
      primary.textContent = "no primary";
    } else {
      primary.textContent = `primary: replica ${state.primary} (term ${state.term})`;
      primary.dataset.primary = state.primary;
      primary.classList.toggle("changed", lastPrimary !== null && lastPrimary !== state.primary);
      lastPrimary = state.primary;
    }
    document.querySelector("#cluster tbody").innerHTML = state.servers.map((server) =>
      `<tr data-server="${text(server.server + " " + server.id)}" data-state="${text(server.state)}">` +
      `<td>${text(server.server)} ${text(server.id)}</td><td class="role">${text(server.state)}</td>` +
      `<td>${text(server.term ?? "-")}</td><td>${text(server.commit ?? "-")}</td>` +
      `<td>${text(server.lag ?? "-")}</td></tr>`).join("");
  } catch (error) {
    document.getElementById("primary").textContent = "cluster state unknown";
  }
}

load();
cluster();
setInterval(tick, 250);
setInterval(cluster, 1000);
