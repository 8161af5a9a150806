"""The hosted pages: Checkout, the customer portal, invoices — and the sandbox's own dashboard.

Plain HTML (no JavaScript), labelled TEST MODE, in the customer's language like Stripe's pages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, get_currency_precision

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "test_mode": "TEST MODE",
        "subscribe_to": "Subscribe to %s",
        "per_month": "per month",
        "per_year": "per year",
        "seats": "%s seats",
        "tax_included": "Includes %s tax",
        "tax_added": "Tax: %s",
        "total": "Total due today",
        "email": "Email",
        "pay_with": "Payment method",
        "card_number": "Card number",
        "test_hint": "Test mode: no real money moves. Any values work.",
        "pay": "Subscribe",
        "decline": "Simulate a declined payment",
        "back": "Back",
        "declined": "Your card was declined. Try another payment method.",
        "closed": "This checkout session is no longer available.",
        "portal": "Billing portal",
        "current_plan": "Current plan",
        "renews": "Renews on %s",
        "ends": "Ends on %s",
        "payment_method": "Default payment method",
        "update_card": "Use a working test card",
        "cancel_plan": "Cancel plan",
        "renew_plan": "Don't cancel",
        "invoices": "Invoices",
        "return": "Return to %s",
        "status": "Status",
        "invoice": "Invoice",
        "paid": "Paid",
        "open": "Open",
        "void": "Void",
    },
    "es": {
        "test_mode": "MODO DE PRUEBA",
        "subscribe_to": "Suscribirse a %s",
        "per_month": "al mes",
        "per_year": "al año",
        "seats": "%s puestos",
        "tax_included": "Incluye %s de impuestos",
        "tax_added": "Impuestos: %s",
        "total": "Total a pagar hoy",
        "email": "Correo electrónico",
        "pay_with": "Método de pago",
        "card_number": "Número de tarjeta",
        "test_hint": "Modo de prueba: no se mueve dinero real. Cualquier valor sirve.",
        "pay": "Suscribirse",
        "decline": "Simular un pago rechazado",
        "back": "Volver",
        "declined": "Tu tarjeta fue rechazada. Prueba con otro método de pago.",
        "closed": "Esta sesión de pago ya no está disponible.",
        "portal": "Portal de facturación",
        "current_plan": "Plan actual",
        "renews": "Se renueva el %s",
        "ends": "Termina el %s",
        "payment_method": "Método de pago predeterminado",
        "update_card": "Usar una tarjeta de prueba válida",
        "cancel_plan": "Cancelar plan",
        "renew_plan": "No cancelar",
        "invoices": "Facturas",
        "return": "Volver a %s",
        "status": "Estado",
        "invoice": "Factura",
        "paid": "Pagada",
        "open": "Pendiente",
        "void": "Anulada",
    },
    "pt-BR": {
        "test_mode": "MODO DE TESTE",
        "subscribe_to": "Assinar %s",
        "per_month": "por mês",
        "per_year": "por ano",
        "seats": "%s licenças",
        "tax_included": "Inclui %s de impostos",
        "tax_added": "Impostos: %s",
        "total": "Total a pagar hoje",
        "email": "E-mail",
        "pay_with": "Forma de pagamento",
        "card_number": "Número do cartão",
        "test_hint": "Modo de teste: nenhum dinheiro real é movimentado. Qualquer valor funciona.",
        "pay": "Assinar",
        "decline": "Simular um pagamento recusado",
        "back": "Voltar",
        "declined": "Seu cartão foi recusado. Tente outra forma de pagamento.",
        "closed": "Esta sessão de pagamento não está mais disponível.",
        "portal": "Portal de cobrança",
        "current_plan": "Plano atual",
        "renews": "Renova em %s",
        "ends": "Termina em %s",
        "payment_method": "Forma de pagamento padrão",
        "update_card": "Usar um cartão de teste válido",
        "cancel_plan": "Cancelar plano",
        "renew_plan": "Não cancelar",
        "invoices": "Faturas",
        "return": "Voltar para %s",
        "status": "Status",
        "invoice": "Fatura",
        "paid": "Paga",
        "open": "Em aberto",
        "void": "Anulada",
    },
    "de": {
        "test_mode": "TESTMODUS",
        "subscribe_to": "%s abonnieren",
        "per_month": "pro Monat",
        "per_year": "pro Jahr",
        "seats": "%s Plätze",
        "tax_included": "Enthält %s Steuern",
        "tax_added": "Steuern: %s",
        "total": "Heute fällig",
        "email": "E-Mail",
        "pay_with": "Zahlungsmethode",
        "card_number": "Kartennummer",
        "test_hint": "Testmodus: Es fließt kein echtes Geld. Beliebige Werte funktionieren.",
        "pay": "Abonnieren",
        "decline": "Abgelehnte Zahlung simulieren",
        "back": "Zurück",
        "declined": "Ihre Karte wurde abgelehnt. Versuchen Sie eine andere Zahlungsmethode.",
        "closed": "Diese Checkout-Sitzung ist nicht mehr verfügbar.",
        "portal": "Abrechnungsportal",
        "current_plan": "Aktueller Tarif",
        "renews": "Verlängert sich am %s",
        "ends": "Endet am %s",
        "payment_method": "Standard-Zahlungsmethode",
        "update_card": "Funktionierende Testkarte verwenden",
        "cancel_plan": "Tarif kündigen",
        "renew_plan": "Nicht kündigen",
        "invoices": "Rechnungen",
        "return": "Zurück zu %s",
        "status": "Status",
        "invoice": "Rechnung",
        "paid": "Bezahlt",
        "open": "Offen",
        "void": "Storniert",
    },
    "ja": {
        "test_mode": "テストモード",
        "subscribe_to": "%s に登録",
        "per_month": "毎月",
        "per_year": "毎年",
        "seats": "%s シート",
        "tax_included": "税 %s を含む",
        "tax_added": "税: %s",
        "total": "本日のお支払い",
        "email": "メールアドレス",
        "pay_with": "支払い方法",
        "card_number": "カード番号",
        "test_hint": "テストモード：実際のお金は動きません。任意の値で動作します。",
        "pay": "登録する",
        "decline": "支払い拒否をシミュレート",
        "back": "戻る",
        "declined": "カードが拒否されました。別の支払い方法をお試しください。",
        "closed": "このチェックアウトセッションは利用できなくなりました。",
        "portal": "請求ポータル",
        "current_plan": "現在のプラン",
        "renews": "%s に更新",
        "ends": "%s に終了",
        "payment_method": "既定の支払い方法",
        "update_card": "有効なテストカードを使う",
        "cancel_plan": "プランをキャンセル",
        "renew_plan": "キャンセルしない",
        "invoices": "請求書",
        "return": "%s に戻る",
        "status": "状態",
        "invoice": "請求書",
        "paid": "支払済み",
        "open": "未払い",
        "void": "無効",
    },
}

METHOD_NAMES: dict[str, dict[str, str]] = {
    "card": {"en": "Card", "es": "Tarjeta", "pt-BR": "Cartão", "de": "Karte", "ja": "カード"},
    "sepa_debit": {
        "en": "SEPA Direct Debit",
        "es": "Adeudo directo SEPA",
        "pt-BR": "Débito direto SEPA",
        "de": "SEPA-Lastschrift",
        "ja": "SEPA ダイレクトデビット",
    },
    "ideal": {"en": "iDEAL", "es": "iDEAL", "pt-BR": "iDEAL", "de": "iDEAL", "ja": "iDEAL"},
    "bancontact": {
        "en": "Bancontact",
        "es": "Bancontact",
        "pt-BR": "Bancontact",
        "de": "Bancontact",
        "ja": "Bancontact",
    },
    "pix": {"en": "Pix", "es": "Pix", "pt-BR": "Pix", "de": "Pix", "ja": "Pix"},
    "boleto": {"en": "Boleto", "es": "Boleto", "pt-BR": "Boleto bancário", "de": "Boleto", "ja": "ボレート"},
    "konbini": {"en": "Konbini", "es": "Konbini", "pt-BR": "Konbini", "de": "Konbini", "ja": "コンビニ決済"},
}


def locale_of(value: str | None) -> str:
    if not value or value == "auto":
        return "en"
    if value.lower().startswith("pt"):
        return "pt-BR"
    base = value.split("-")[0].lower()
    return base if base in STRINGS else "en"


def text(locale: str, key: str, *args: Any) -> str:
    template = STRINGS[locale].get(key) or STRINGS["en"][key]
    return template % args if args else template


def money(amount: int, currency: str, locale: str) -> str:
    precision = get_currency_precision(currency.upper())
    return format_currency(amount / (10**precision), currency.upper(), locale=locale.replace("-", "_"))


def day(timestamp: int | None, locale: str) -> str:
    if not timestamp:
        return ""
    return format_date(datetime.fromtimestamp(timestamp, UTC), format="long", locale=locale.replace("-", "_"))


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans JP",sans-serif;margin:0;background:#f6f8fa;color:#1a1f36}
.test{background:#ffb020;color:#3d2800;text-align:center;font-weight:700;letter-spacing:.08em;padding:.35rem;font-size:.85rem}
.wrap{max-width:960px;margin:2rem auto;display:grid;grid-template-columns:1fr 1fr;gap:2rem;padding:0 1rem}
.panel{background:#fff;border-radius:10px;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.1)}
.price{font-size:2rem;font-weight:700;margin:.3rem 0}.muted{color:#697386;font-size:.92rem}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}input[type=text],input[type=email]{width:100%;padding:.55rem;border:1px solid #cfd7df;border-radius:6px;box-sizing:border-box}
.methods label{font-weight:500;display:flex;gap:.5rem;align-items:center;border:1px solid #cfd7df;border-radius:6px;padding:.5rem;margin:.3rem 0}
button{background:#635bff;color:#fff;border:0;border-radius:6px;padding:.7rem 1rem;font-weight:600;width:100%;margin-top:1rem;cursor:pointer;font-size:1rem}
button.secondary{background:#fff;color:#635bff;border:1px solid #635bff}.error{background:#fde2e1;color:#a41c1c;padding:.6rem;border-radius:6px}
table{width:100%;border-collapse:collapse}td,th{text-align:left;padding:.4rem;border-bottom:1px solid #e3e8ee}a{color:#635bff}
@media(max-width:720px){.wrap{grid-template-columns:1fr}}
"""


def layout(title: str, body: str, locale: str = "en") -> str:
    return (
        f'<!doctype html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>"
        f'<div class="test" data-testid="sandbox-test-mode">{escape(text(locale, "test_mode"))}</div>{body}</body></html>'
    )


def checkout_page(
    session: dict[str, Any],
    items: list[dict[str, Any]],
    customer: dict[str, Any] | None,
    account: str,
    error: str = "",
) -> str:
    locale = locale_of(session.get("locale"))
    if session["status"] != "open":
        return layout(
            account,
            f'<div class="wrap"><div class="panel" data-testid="sandbox-closed">{escape(text(locale, "closed"))}</div></div>',
            locale,
        )
    first = items[0]
    price = first["price"]
    name = first["product"].get("name") or price["id"]
    interval = text(locale, "per_year" if price["recurring"]["interval"] == "year" else "per_month")
    currency = session["currency"]
    tax = session["total_details"]["amount_tax"]
    behavior = price.get("tax_behavior")
    if tax and behavior == "inclusive":
        tax_line = text(locale, "tax_included", money(tax, currency, locale))
    elif behavior == "exclusive":
        tax_line = text(locale, "tax_added", money(tax, currency, locale))
    else:
        tax_line = ""
    seats = (
        f'<p class="muted">{escape(text(locale, "seats", first["quantity"]))}</p>'
        if first["quantity"] > 1
        else ""
    )
    methods = "".join(
        f'<label><input type="radio" name="payment_method" value="{escape(m)}" data-testid="sandbox-method-{escape(m)}"'
        f"{' checked' if i == 0 else ''}> {escape(METHOD_NAMES.get(m, {}).get(locale, m))}</label>"
        for i, m in enumerate(session["payment_method_types"])
    )
    email = (customer or {}).get("email") or session.get("customer_email") or ""
    cancel = (
        f'<p><a href="{escape(session["cancel_url"])}" data-testid="sandbox-cancel">← {escape(text(locale, "back"))}</a></p>'
        if session.get("cancel_url")
        else ""
    )
    problem = (
        f'<p class="error" role="alert" data-testid="sandbox-error">{escape(error)}</p>' if error else ""
    )
    body = f"""
<div class="wrap">
  <div class="panel">
    <p class="muted">{escape(account)}</p>
    <h1 data-testid="sandbox-product">{escape(text(locale, "subscribe_to", name))}</h1>
    <p class="price" data-testid="sandbox-amount">{escape(money(session["amount_total"], currency, locale))} <span class="muted">{escape(interval)}</span></p>
    {seats}
    <p class="muted" data-testid="sandbox-tax">{escape(tax_line)}</p>
    <p><strong>{escape(text(locale, "total"))}:</strong> {escape(money(session["amount_total"], currency, locale))}</p>
    {cancel}
  </div>
  <form class="panel" method="post" data-testid="sandbox-checkout-form">
    {problem}
    <label for="email">{escape(text(locale, "email"))}</label>
    <input id="email" type="email" value="{escape(email)}" readonly>
    <fieldset class="methods" style="border:0;padding:0;margin:0">
      <legend><strong>{escape(text(locale, "pay_with"))}</strong></legend>
      {methods}
    </fieldset>
    <label for="card">{escape(text(locale, "card_number"))}</label>
    <input id="card" type="text" value="4242 4242 4242 4242" readonly>
    <p class="muted">{escape(text(locale, "test_hint"))}</p>
    <button type="submit" name="outcome" value="pay" data-testid="sandbox-pay">{escape(text(locale, "pay"))}</button>
    <button type="submit" name="outcome" value="decline" class="secondary" data-testid="sandbox-decline">{escape(text(locale, "decline"))}</button>
  </form>
</div>"""
    return layout(text(locale, "subscribe_to", name), body, locale)


def portal_page(
    session: dict[str, Any],
    customer: dict[str, Any],
    subscriptions: list[dict[str, Any]],
    invoices: list[dict[str, Any]],
    names: dict[str, str],
    account: str,
) -> str:
    locale = locale_of(session.get("locale"))
    rows = []
    for sub in subscriptions:
        item = sub["items"]["data"][0]
        name = names.get(item["price"]["product"], item["price"]["id"])
        when = text(
            locale,
            "ends" if sub["cancel_at_period_end"] else "renews",
            day(item["current_period_end"], locale),
        )
        action = "resume" if sub["cancel_at_period_end"] else "cancel"
        label = text(locale, "renew_plan" if action == "resume" else "cancel_plan")
        rows.append(
            f'<div data-testid="portal-subscription"><p><strong>{escape(name)}</strong> · {escape(sub["status"])}</p>'
            f'<p class="muted">{escape(when)}</p>'
            f'<form method="post" action="{escape(session["id"])}/{action}"><input type="hidden" name="subscription" value="{escape(sub["id"])}">'
            f'<button class="secondary" data-testid="portal-{action}">{escape(label)}</button></form></div>'
        )
    card = "•••• " + {"ok": "4242", "decline": "0002", "expired": "0069"}.get(
        customer.get("_card", "ok"), "4242"
    )
    invoice_rows = "".join(
        f"<tr><td>{escape(inv.get('number') or inv['id'])}</td><td>{escape(day(inv['created'], locale))}</td>"
        f"<td>{escape(money(inv['total'], inv['currency'], locale))}</td><td>{escape(text(locale, inv['status']) if inv['status'] in ('paid', 'open', 'void') else inv['status'])}</td></tr>"
        for inv in invoices
    )
    back = (
        f'<p><a href="{escape(session["return_url"])}" data-testid="portal-return">← {escape(text(locale, "return", account))}</a></p>'
        if session.get("return_url")
        else ""
    )
    body = f"""
<div class="wrap">
  <div class="panel">
    <p class="muted">{escape(account)}</p>
    <h1>{escape(text(locale, "portal"))}</h1>
    <p>{escape(customer.get("email") or "")}</p>
    {back}
    <h2>{escape(text(locale, "current_plan"))}</h2>
    {"".join(rows)}
  </div>
  <div class="panel">
    <h2>{escape(text(locale, "payment_method"))}</h2>
    <p data-testid="portal-card">{escape(card)}</p>
    <form method="post" action="{escape(session["id"])}/card"><button data-testid="portal-update-card">{escape(text(locale, "update_card"))}</button></form>
    <h2>{escape(text(locale, "invoices"))}</h2>
    <table><tbody>{invoice_rows}</tbody></table>
  </div>
</div>"""
    return layout(text(locale, "portal"), body, locale)


def invoice_page(invoice: dict[str, Any], account: str) -> str:
    lines = "".join(
        f"<tr><td>{escape(line['description'] or '')}</td><td>{escape(money(line['amount'], invoice['currency'], 'en'))}</td></tr>"
        for line in invoice["lines"]["data"]
    )
    body = f"""
<div class="wrap" style="grid-template-columns:1fr"><div class="panel">
  <p class="muted">{escape(account)}</p><h1>Invoice {escape(invoice.get("number") or invoice["id"])}</h1>
  <p>Status: {escape(invoice["status"])}</p>
  <table><tbody>{lines}</tbody></table>
  <p><strong>Total: {escape(money(invoice["total"], invoice["currency"], "en"))}</strong></p>
</div></div>"""
    return layout(f"Invoice {invoice.get('number')}", body)


def dashboard_page(
    subscriptions: list[dict[str, Any]],
    events: list[dict[str, Any]],
    delivered: dict[str, list[Any]],
    delivery: Any,
    webhook_url: str,
    now: int,
) -> str:
    rows = "".join(
        f"<tr><td>{escape(s['id'])}</td><td>{escape(s['customer'])}</td><td>{escape(s['items']['data'][0]['price'].get('lookup_key') or s['items']['data'][0]['price']['id'])}"
        f" × {s['items']['data'][0]['quantity']}</td><td>{escape(s['status'])}{' (cancels)' if s['cancel_at_period_end'] else ''}</td>"
        f"<td>{escape(datetime.fromtimestamp(s['items']['data'][0]['current_period_end'], UTC).isoformat())}</td><td>"
        f'<form method="post" action="_sandbox/subscriptions/{escape(s["id"])}/renew" style="display:inline"><button>Renew now</button></form> '
        + "".join(
            f'<form method="post" action="_sandbox/customers/{escape(s["customer"])}/card" style="display:inline">'
            f'<input type="hidden" name="behaviour" value="{b}"><button class="secondary">Card: {b}</button></form> '
            for b in ("ok", "decline", "expired")
        )
        + "</td></tr>"
        for s in subscriptions
    )
    event_rows = "".join(
        f"<tr><td>{escape(e['id'])}</td><td>{escape(e['type'])}</td><td>{escape(datetime.fromtimestamp(e['created'], UTC).isoformat())}</td>"
        f"<td>{escape(', '.join(str(a.status) for a in delivered.get(e['id'], [])) or '—')}</td></tr>"
        for e in events[:100]
    )
    body = f"""
<div class="wrap" style="grid-template-columns:1fr"><div class="panel">
<h1>Stripe sandbox</h1>
<p class="muted">Sandbox time: {escape(datetime.fromtimestamp(now, UTC).isoformat())} · webhooks to {escape(webhook_url or "(none)")}
 · mode {escape(delivery.mode)}, duplicates {delivery.duplicates}, max delay {delivery.max_delay_ms} ms, reorder {delivery.reorder}</p>
<form method="post" action="_sandbox/advance"><input type="hidden" name="seconds" value="86400"><button class="secondary">Advance one day</button></form>
<h2>Subscriptions</h2><table><thead><tr><th>id</th><th>customer</th><th>price</th><th>status</th><th>period end</th><th></th></tr></thead><tbody>{rows}</tbody></table>
<h2>Events</h2><table><thead><tr><th>id</th><th>type</th><th>created</th><th>deliveries</th></tr></thead><tbody>{event_rows}</tbody></table>
</div></div>"""
    return layout("Stripe sandbox", body)
