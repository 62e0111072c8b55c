// Start-up: sign in, load the city layout, build the three views, open the live streams.

import { ApiError, getJson, onUnauthorized, savedKey, savedName, signIn, signOut, whoami } from "./api.js";
import { show, failed } from "./dom.js";
import { setTimeZone } from "./format.js";
import { lang, locale, named, setLang, setMessages, t, translatePage } from "./i18n.js";
import { startLive, stopLive } from "./live.js";
import { initCases } from "./cases.js";
import { initDispatch } from "./dispatch.js";
import { initMap } from "./map.js";
import { initParking, openParking } from "./parking.js";
import { initPayments } from "./payments.js";
import { initReports } from "./reports.js";
import { initSanitation } from "./sanitation.js";
import { can, changed, setCity, store } from "./store.js";

const VIEWS = ["map", "parking", "sanitation", "dispatch", "reports", "cases", "payments"];
// The permission (from whoami) each view needs; the map shows whatever the key may read.
const NEEDS = { parking: "parking.read", sanitation: "sanitation.read", dispatch: "dispatch.plan", cases: "alerts.read", payments: "plates.read" };
let booted = false;

function allowed(view) {
  // Reports cover parking and sanitation: either is enough.
  if (view === "reports") return can("parking.read") || can("sanitation.read");
  return !NEEDS[view] || can(NEEDS[view]);
}

function banner(text) {
  const el = document.getElementById("banner");
  el.hidden = !text;
  el.textContent = text || "";
}

function showView(name) {
  const view = VIEWS.includes(name) && allowed(name) ? name : "map";
  for (const v of VIEWS) {
    const tab = document.getElementById(`tab-${v}`);
    tab.hidden = !allowed(v);
    tab.setAttribute("aria-selected", String(v === view));
    tab.tabIndex = v === view ? 0 : -1;
    document.getElementById(`view-${v}`).hidden = !booted || v !== view;
  }
  if (booted && view === "parking") openParking();
}

function wireTabs() {
  const tabs = VIEWS.map((v) => document.getElementById(`tab-${v}`));
  for (const tab of tabs) {
    tab.addEventListener("click", () => {
      location.hash = `#${tab.dataset.view}`;
    });
    tab.addEventListener("keydown", (event) => {
      const shown = tabs.filter((t) => !t.hidden);
      const i = shown.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: shown.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      const target = shown[(next + shown.length) % shown.length];
      target.focus();
      location.hash = `#${target.dataset.view}`;
    });
  }
  window.addEventListener("hashchange", () => showView(location.hash.slice(1)));
}

// Say whose clock the page's times are on: the city's, not the device's; the zone by its name
// in the page's language (中国标准时间), its IANA id where the browser has no name for it.
function renderCityName() {
  const { timezone } = store.city;
  const zone = new Intl.DateTimeFormat(locale(), { timeZone: timezone, timeZoneName: "long" })
    .formatToParts(new Date()).find((part) => part.type === "timeZoneName")?.value;
  document.getElementById("city-name").textContent = `${named(store.city)} · ${zone || timezone}`;
}

function wireLanguage() {
  const button = document.getElementById("lang");
  const label = () => {
    // The button names the other language, in that language.
    button.textContent = lang() === "zh" ? "English" : "中文";
    button.lang = lang() === "zh" ? "en" : "zh-CN";
    button.setAttribute("aria-label", lang() === "zh" ? "Switch to English" : "切换到中文");
  };
  label();
  button.addEventListener("click", () => {
    setLang(lang() === "zh" ? "en" : "zh");
    label();
    renderWho();
    if (store.city) renderCityName();
    changed("lang");
  });
}

function renderWho() {
  const el = document.getElementById("who");
  const who = store.who;
  if (!who) {
    el.textContent = savedName();
    return;
  }
  const role = t(`role.${String(who.role).replace(/\s+/g, "_")}`);
  el.textContent = t("auth.signedIn", { name: who.name, role: role.startsWith("role.") ? who.role : role });
}

function askForKey(message) {
  // Requests still in flight or on a timer may be refused too: say it once, keep the form.
  if (!document.getElementById("signin").hidden) return;
  stopLive();
  booted = false;
  showView("map");
  document.getElementById("signin").hidden = false;
  document.getElementById("signout").hidden = true;
  document.getElementById("signin-error").textContent = message || "";
  document.getElementById("signin-name").value = savedName();
  document.getElementById("signin-key").focus();
}

async function start() {
  document.getElementById("signin").hidden = true;
  document.getElementById("signout").hidden = false;
  banner("");
  try {
    store.who = await whoami();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return; // the handler asks again
    // Without whoami the page cannot know what the key may see: say why, ask again.
    askForKey(err.detail || String(err));
    return;
  }
  renderWho();
  changed("who");
  if (!store.city) {
    const stateEl = document.getElementById("map-state");
    stateEl.textContent = t("map.loading");
    try {
      const [city, messages] = await Promise.all([getJson("/api/v1/city"), getJson("/api/v1/messages")]);
      setTimeZone(city.timezone);
      setMessages(messages);
      setCity(city);
      // Say whose clock the page's times are on: the city's, not the device's.
      renderCityName();
      initMap();
      if (can("parking.read")) initParking();
      if (can("sanitation.read")) initSanitation();
      if (allowed("dispatch")) initDispatch();
      if (allowed("reports")) initReports();
      if (allowed("cases")) initCases();
      if (allowed("payments")) initPayments();
    } catch (err) {
      if (err.status === 401) return;
      booted = true;
      showView(location.hash.slice(1));
      show(stateEl, failed(err, () => location.reload()));
      return;
    }
  }
  booted = true;
  showView(location.hash.slice(1));
  startLive();
}

function boot() {
  translatePage();
  wireTabs();
  wireLanguage();
  onUnauthorized(() => askForKey(t("signin.refused")));
  document.getElementById("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn(document.getElementById("signin-key").value.trim(), document.getElementById("signin-name").value.trim());
    document.getElementById("signin-key").value = "";
    // Another key may see other zones and views: build the page afresh for it.
    if (store.city) location.reload();
    else start();
  });
  document.getElementById("signout").addEventListener("click", () => {
    signOut();
    location.reload();
  });
  if (savedKey() === null) askForKey("");
  else start();
}

boot();
