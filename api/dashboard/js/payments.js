// The payments-and-arrears view (收费): what is owed in the key's zones by age, what stays
// without a plate owe, and the plates over the threshold (GET /api/v1/arrears, docs/payments.md).
// Needs plates.read: plates are personal information (docs/security.md, "Privacy").

import { getJson } from "./api.js";
import { failed, h, loading, show, table } from "./dom.js";
import { yuan } from "./format.js";
import { t } from "./i18n.js";

const ARREARS = "/api/v1/arrears";

function buckets(data) {
  return table(
    t("pay.agingCaption", { day: data.as_of }),
    [t("pay.age"), t("pay.stays"), t("pay.owed")],
    data.buckets.map((b) => [t("pay.days", { label: b.label }), String(b.stays), yuan(b.owed_fen)]),
    { numeric: [1, 2] },
  );
}

function plates(data) {
  if (!data.plates.length) return h("p", { class: "muted" }, t("pay.nonePlates", { over: yuan(data.over_fen) }));
  return table(
    t("pay.platesCaption", { over: yuan(data.over_fen) }),
    [t("pay.plate"), t("pay.colour"), t("pay.stays"), t("pay.owed"), t("pay.oldest")],
    data.plates.map((p) => [p.plate, t(`colour.${p.colour}`), String(p.stays), yuan(p.owed_fen), String(p.oldest_days)]),
    { numeric: [2, 3, 4] },
  );
}

async function showArrears() {
  const out = document.getElementById("payments-result");
  show(out, loading());
  try {
    const data = await getJson(ARREARS);
    show(
      out,
      h("p", {}, t("pay.total", { owed: yuan(data.owed_fen), unbound: yuan(data.unbound_owed_fen) })),
      buckets(data),
      plates(data),
    );
  } catch (err) {
    show(out, failed(err, showArrears));
  }
}

/** Load the arrears now and on the refresh button. */
export function initPayments() {
  document.getElementById("payments-refresh").addEventListener("click", showArrears);
  showArrears();
}
