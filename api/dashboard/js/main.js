// Start-up: sign in, load the city layout, build the three views, open the live streams.

import { ApiError, getJson, onUnauthorized, savedKey, savedName, signIn, signOut, whoami } from "./api.js";
import { show, failed } from "./dom.js";
import { setTimeZone } from "./format.js";
import { lang, setLang, t, translatePage } from "./i18n.js";
import { startLive, stopLive } from "./live.js";
import { initMap } from "./map.js";
import { initParking, openParking } from "./parking.js";
import { initSanitation } from "./sanitation.js";
import { changed, setCity, store } from "./store.js";

const VIEWS = ["map", "parking", "sanitation"];
let booted = false;

function banner(text) {
  const el = document.getElementById("banner");
  el.hidden = !text;
  el.textContent = text || "";
}

function showView(name) {
  const view = VIEWS.includes(name) ? name : "map";
  for (const v of VIEWS) {
    const tab = document.getElementById(`tab-${v}`);
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
      const i = tabs.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      const target = tabs[(next + tabs.length) % tabs.length];
      target.focus();
      location.hash = `#${target.dataset.view}`;
    });
  }
  window.addEventListener("hashchange", () => showView(location.hash.slice(1)));
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
    store.who = null; // whoami failing otherwise must not keep anyone out
  }
  renderWho();
  changed("who");
  if (!store.city) {
    const stateEl = document.getElementById("map-state");
    stateEl.textContent = t("map.loading");
    try {
      const city = await getJson("/api/v1/city");
      setTimeZone(city.timezone);
      setCity(city);
      // Say whose clock the page's times are on: the city's, not the device's.
      document.getElementById("city-name").textContent = `${city.name} · ${city.timezone}`;
      initMap();
      initParking();
      initSanitation();
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
    start();
  });
  document.getElementById("signout").addEventListener("click", () => {
    signOut();
    location.reload();
  });
  if (savedKey() === null) askForKey("");
  else start();
}

boot();
