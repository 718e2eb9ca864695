//! FIN-1…3: invoices and payments per contract, allocation, aging, dunning and escalation,
//! the customer statement and the revenue/cost/receivables report.

use medcrm_testkit::{Reply, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::contracts::signed_contract;
use crate::products::{days_from_today, institution_id, product_id};

/// A contract of rep.east's Zhongshan hospital signed for `quantity` × ¥10,000 (payment
/// days 60): `(contract, institution id)`.
pub async fn east_contract(t: &TestApp, quantity: i64) -> (Value, i64) {
    let rep = t.login("rep.east").await;
    let us = product_id(t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(t, &rep, "fddxfszsyy").await;
    (
        signed_contract(t, &rep, zhongshan, us, quantity, "10000").await,
        zhongshan,
    )
}

pub async fn invoice(
    t: &TestApp,
    finance: &str,
    contract: &Value,
    number: &str,
    issued_on: &str,
    amount: &str,
) -> Reply {
    t.post(
        "/api/v1/invoices",
        finance,
        json!({"contract_id": contract["id"], "number": number, "issued_on": issued_on,
               "amount": amount, "cost": "0"}),
    )
    .await
}

pub async fn pay(t: &TestApp, finance: &str, contract: &Value, amount: &str) -> Reply {
    t.post(
        "/api/v1/payments",
        finance,
        json!({"contract_id": contract["id"], "received_on": days_from_today(0),
               "amount": amount, "method": "transfer", "reference": "BANK-1"}),
    )
    .await
}

/// A suite app, finance's token, and a contract of rep.east's signed for `quantity` × ¥10,000.
async fn setup(quantity: i64) -> (TestApp, String, Value, i64) {
    let t = spawn_app().await;
    let finance = t.login("finance").await;
    let (contract, zhongshan) = east_contract(&t, quantity).await;
    (t, finance, contract, zhongshan)
}

/// An invoice issued `days` from today (negative: in the past), as recorded.
pub async fn issue(
    t: &TestApp,
    finance: &str,
    contract: &Value,
    number: &str,
    days: i64,
    amount: &str,
) -> Value {
    let r = invoice(t, finance, contract, number, &days_from_today(days), amount).await;
    created(&r).clone()
}

fn created(r: &Reply) -> &Value {
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    &r.body
}

#[tokio::test]
async fn fin_1_invoice_is_due_by_the_contracts_payment_days_and_its_number_is_unique() {
    let (t, finance, contract, _) = setup(3).await;
    let r = invoice(
        &t,
        &finance,
        &contract,
        "FP-0001",
        &days_from_today(-10),
        "12000",
    )
    .await;
    let v = created(&r);
    assert_eq!(v["due_on"], days_from_today(50), "issued + 60 payment days");
    assert_eq!(v["status"], "open");
    assert_eq!(v["amount"]["fen"], 1_200_000);
    let again = invoice(&t, &finance, &contract, "FP-0001", &days_from_today(0), "1").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    let k = t
        .get(&format!("/api/v1/contracts/{}", contract["id"]), &finance)
        .await;
    assert_eq!(
        k.body["invoiced_fen"], 1_200_000,
        "the ledger moves with it"
    );
    let future = invoice(&t, &finance, &contract, "FP-0002", &days_from_today(2), "1").await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(future.field("issued_on").is_some());
}

#[tokio::test]
async fn fin_1_a_rep_cannot_record_an_invoice_or_a_payment() {
    let t = spawn_app().await;
    let rep = t.login("rep.east").await;
    let (contract, _) = east_contract(&t, 1).await;
    let r = invoice(&t, &rep, &contract, "FP-REP", &days_from_today(0), "100").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        pay(&t, &rep, &contract, "100").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn fin_1_invoices_never_exceed_the_contract_total_and_only_signed_contracts_are_billed() {
    let (t, finance, contract, _) = setup(1).await;
    issue(&t, &finance, &contract, "FP-A", 0, "6000").await;
    let over = invoice(
        &t,
        &finance,
        &contract,
        "FP-B",
        &days_from_today(0),
        "4000.01",
    )
    .await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(over.code(), "over_contract_total");
    assert!(over.field("amount").is_some());
    issue(&t, &finance, &contract, "FP-B", 0, "4000").await;
    // A draft bills nothing.
    let rep = t.login("rep.east").await;
    let us = product_id(&t, &rep, "RK-US-8000").await;
    let zhongshan = institution_id(&t, &rep, "fddxfszsyy").await;
    let draft = t
        .post(
            "/api/v1/contracts",
            &rep,
            crate::contracts::complete_contract(zhongshan, us, 1, "100"),
        )
        .await;
    let r = invoice(&t, &finance, &draft.body, "FP-C", &days_from_today(0), "50").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "contract_not_billable");
}

#[tokio::test]
async fn fin_1_an_unpaid_invoice_is_voided_with_a_reason_a_paid_one_is_not() {
    let (t, finance, contract, _) = setup(2).await;
    let a = issue(&t, &finance, &contract, "FP-V1", 0, "5000").await;
    let b = issue(&t, &finance, &contract, "FP-V2", 0, "5000").await;
    let no_reason = t
        .post(
            &format!("/api/v1/invoices/{}/void", a["id"]),
            &finance,
            json!({"reason": ""}),
        )
        .await;
    assert!(no_reason.field("reason").is_some());
    let voided = t
        .post(
            &format!("/api/v1/invoices/{}/void", a["id"]),
            &finance,
            json!({"reason": "开错抬头，红冲"}),
        )
        .await;
    assert_eq!(voided.status, StatusCode::OK, "{:?}", voided.body);
    assert_eq!(voided.body["status"], "void");
    let k = t
        .get(&format!("/api/v1/contracts/{}", contract["id"]), &finance)
        .await;
    assert_eq!(k.body["invoiced_fen"], 500_000);
    created(&pay(&t, &finance, &contract, "1").await);
    let paid_on = t
        .post(
            &format!("/api/v1/invoices/{}/void", b["id"]),
            &finance,
            json!({"reason": "too late"}),
        )
        .await;
    assert_eq!(paid_on.status, StatusCode::CONFLICT);
    let audit = t
        .get("/api/v1/audit?entity=invoice", &t.login("admin").await)
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"void"), "{actions:?}");
}

#[tokio::test]
async fn fin_1_overpayment_is_refused() {
    let (t, finance, contract, _) = setup(2).await;
    issue(&t, &finance, &contract, "FP-O1", 0, "3000").await;
    let r = pay(&t, &finance, &contract, "3000.01").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "overpayment");
    assert!(r.field("amount").is_some());
    let zero = pay(&t, &finance, &contract, "0").await;
    assert!(zero.field("amount").is_some());
}

#[tokio::test]
async fn fin_1_a_payment_settles_the_oldest_due_invoices_first() {
    let (t, finance, contract, _) = setup(3).await;
    let newer = issue(&t, &finance, &contract, "FP-N", -5, "10000").await;
    let older = issue(&t, &finance, &contract, "FP-O", -40, "8000").await;
    let preview = t
        .get(
            &format!(
                "/api/v1/payments/preview?contract_id={}&amount=9000",
                contract["id"]
            ),
            &finance,
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{:?}", preview.body);
    assert_eq!(preview.body["open"]["fen"], 1_800_000);
    assert_eq!(preview.body["lines"][0]["invoice"]["number"], "FP-O");
    let p = created(&pay(&t, &finance, &contract, "9000").await).clone();
    let allocs = p["allocations"].as_array().unwrap();
    assert_eq!(allocs.len(), 2);
    assert_eq!(allocs[0]["invoice_id"], older["id"]);
    assert_eq!(allocs[0]["amount"]["fen"], 800_000);
    assert_eq!(allocs[1]["invoice_id"], newer["id"]);
    assert_eq!(allocs[1]["amount"]["fen"], 100_000);
    let o = t
        .get(&format!("/api/v1/invoices/{}", older["id"]), &finance)
        .await;
    assert_eq!(o.body["status"], "paid");
    let n = t
        .get(&format!("/api/v1/invoices/{}", newer["id"]), &finance)
        .await;
    assert_eq!(
        (n.body["status"].as_str(), n.body["paid"]["fen"].as_i64()),
        (Some("open"), Some(100_000))
    );
    // Explicitly on one invoice.
    let explicit = t
        .post(
            "/api/v1/payments",
            &finance,
            json!({"contract_id": contract["id"], "received_on": days_from_today(0), "amount": "500",
                   "method": "cheque", "allocations": [{"invoice_id": newer["id"], "amount": "500"}]}),
        )
        .await;
    created(&explicit);
    let wrong = t
        .post(
            "/api/v1/payments",
            &finance,
            json!({"contract_id": contract["id"], "received_on": days_from_today(0), "amount": "500",
                   "method": "cash", "allocations": [{"invoice_id": older["id"], "amount": "500"}]}),
        )
        .await;
    assert!(wrong.field("allocations").is_some(), "{:?}", wrong.body);
    let k = t
        .get(
            &format!("/api/v1/contracts/{}/receivables", contract["id"]),
            &finance,
        )
        .await;
    assert_eq!(k.body["collected"]["fen"], 950_000);
    assert_eq!(k.body["receivable"]["fen"], 850_000);
    assert_eq!(k.body["payments"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn fin_1_two_concurrent_payments_never_overpay() {
    let (t, finance, contract, _) = setup(1).await;
    let v = issue(&t, &finance, &contract, "FP-R", 0, "1000").await;
    let (a, b) = tokio::join!(
        pay(&t, &finance, &contract, "600"),
        pay(&t, &finance, &contract, "600")
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses[0],
        StatusCode::CREATED,
        "{:?} {:?}",
        a.body,
        b.body
    );
    let loser = if a.status == StatusCode::CREATED {
        &b
    } else {
        &a
    };
    // Guarded update (409) when both read the same open amount, or 422 `overpayment` when the
    // loser started after the winner committed: either way one wins.
    assert!(
        loser.status == StatusCode::CONFLICT || loser.code() == "overpayment",
        "{:?}",
        loser.body
    );
    let after = t
        .get(&format!("/api/v1/invoices/{}", v["id"]), &finance)
        .await;
    assert_eq!(after.body["paid"]["fen"], 60_000);
}

/// Open amounts per bucket of `institution` in `token`'s aging by customer.
async fn buckets(t: &TestApp, token: &str, institution: i64) -> Value {
    let r = t
        .get("/api/v1/receivables/aging?group_by=customer", token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == institution)
        .map(|g| g["buckets"].clone())
        .unwrap_or(Value::Null)
}

fn fen(v: &Value, bucket: &str) -> i64 {
    v[bucket]["fen"].as_i64().unwrap_or(0)
}

#[tokio::test]
async fn fin_1_aging_buckets_by_days_past_due_at_the_edges() {
    let (t, finance, contract, zhongshan) = setup(10).await;
    let before = buckets(&t, &finance, zhongshan).await;
    // Payment days are 60: issued 60 + k days ago is k days past due.
    for (k, amount) in [
        (0, "1"),
        (1, "2"),
        (30, "4"),
        (31, "8"),
        (60, "16"),
        (61, "32"),
        (90, "64"),
        (91, "128"),
    ] {
        let r = invoice(
            &t,
            &finance,
            &contract,
            &format!("FP-AG-{k}"),
            &days_from_today(-60 - k),
            amount,
        )
        .await;
        created(&r);
    }
    let after = buckets(&t, &finance, zhongshan).await;
    let delta = |b: &str| fen(&after, b) - fen(&before, b);
    assert_eq!(delta("not_due"), 100, "due today is not yet overdue");
    assert_eq!(delta("d1_30"), 600, "1 and 30 days");
    assert_eq!(delta("d31_60"), 2400, "31 and 60 days");
    assert_eq!(delta("d61_90"), 9600, "61 and 90 days");
    assert_eq!(delta("over_90"), 12800);
    assert_eq!(fen(&after, "total") - fen(&before, "total"), 25500);
    // A later date moves everything one bucket on.
    let later = t
        .get(
            &format!(
                "/api/v1/receivables/aging?as_of={}&group_by=region",
                days_from_today(200)
            ),
            &finance,
        )
        .await;
    assert_eq!(later.status, StatusCode::OK);
    assert_eq!(fen(&later.body["total"], "not_due"), 0);
    let bad = t
        .get("/api/v1/receivables/aging?group_by=planet", &finance)
        .await;
    assert!(bad.field("group_by").is_some());
}

#[tokio::test]
async fn fin_1_rep_north_cannot_see_rep_easts_receivables() {
    let (t, finance, contract, zhongshan) = setup(1).await;
    let north = t.login("rep.north").await;
    let east = t.login("rep.east").await;
    let v = issue(&t, &finance, &contract, "FP-S", -100, "900").await;
    let path = format!("/api/v1/invoices/{}", v["id"]);
    assert_eq!(t.get(&path, &north).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&path, &east).await.status, StatusCode::OK);
    let mine = t.get("/api/v1/invoices", &north).await;
    assert!(
        mine.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != v["id"])
    );
    let theirs = t.get("/api/v1/invoices?overdue=true", &east).await;
    assert!(
        theirs.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == v["id"])
    );
    assert_eq!(buckets(&t, &north, zhongshan).await, Value::Null);
    assert!(
        fen(&buckets(&t, &east, zhongshan).await, "d31_60") >= 90_000,
        "due 40 days ago"
    );
    let k = format!("/api/v1/contracts/{}/receivables", contract["id"]);
    assert_eq!(t.get(&k, &north).await.status, StatusCode::NOT_FOUND);
    let st = format!("/api/v1/institutions/{zhongshan}/statement");
    assert_eq!(t.get(&st, &north).await.status, StatusCode::NOT_FOUND);
    let manager = t.login("manager.east").await;
    assert_eq!(t.get(&path, &manager).await.status, StatusCode::OK);
    let quality = t.login("quality").await;
    assert_eq!(t.get(&path, &quality).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn fin_2_the_rep_logs_dunning_on_their_own_customers_only() {
    let (t, finance, contract, zhongshan) = setup(1).await;
    let east = t.login("rep.east").await;
    let north = t.login("rep.north").await;
    let v = issue(&t, &finance, &contract, "FP-D", -70, "900").await;
    let body = json!({"institution_id": zhongshan, "invoice_id": v["id"], "kind": "phone",
                      "note": "设备科王科长：月底前付款", "promised_on": days_from_today(10)});
    let d = t.post("/api/v1/dunning", &east, body.clone()).await;
    let d = created(&d);
    assert_eq!(d["kind"], "phone");
    assert_eq!(d["promised_on"], days_from_today(10));
    assert_eq!(
        t.post("/api/v1/dunning", &north, body.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    let mut bad = body.clone();
    bad["kind"] = json!("email");
    assert!(
        t.post("/api/v1/dunning", &east, bad)
            .await
            .field("kind")
            .is_some()
    );
    let log = t
        .get(&format!("/api/v1/institutions/{zhongshan}/dunning"), &east)
        .await;
    assert_eq!(log.body[0]["note"], "设备科王科长：月底前付款");
    let detail = t
        .get(&format!("/api/v1/invoices/{}", v["id"]), &finance)
        .await;
    assert_eq!(detail.body["dunning"].as_array().unwrap().len(), 1);
    let legal = t.login("legal").await;
    assert_eq!(
        t.post("/api/v1/dunning", &legal, body).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn fin_2_escalation_thresholds_are_configurable_by_finance() {
    let t = spawn_app().await;
    let finance = t.login("finance").await;
    let rep = t.login("rep.east").await;
    let path = "/api/v1/settings/receivables-escalation";
    let now = t.get(path, &rep).await;
    assert_eq!(
        now.body,
        json!({"rep_days": 1, "manager_days": 30, "finance_days": 90})
    );
    let body = json!({"rep_days": 3, "manager_days": 45, "finance_days": 120});
    assert_eq!(
        t.put(path, &rep, body.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let set = t.put(path, &finance, body.clone()).await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert_eq!(t.get(path, &finance).await.body, body);
    let bad = t
        .put(
            path,
            &finance,
            json!({"rep_days": 50, "manager_days": 45, "finance_days": 120}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Notifications of `kind` for `username`.
async fn told(t: &TestApp, username: &str, number: &str) -> Vec<String> {
    let token = t.login(username).await;
    let r = t.get("/api/v1/notifications?limit=200", &token).await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "receivable_overdue")
        .filter_map(|n| n["detail"].as_str())
        .filter(|d| d.contains(number))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn fin_2_overdue_reminders_escalate_once_per_invoice_and_threshold() {
    let (t, finance, contract, _) = setup(1).await;
    // 95 days past due: rep, manager and finance/director thresholds are all passed.
    issue(&t, &finance, &contract, "FP-E95", -155, "300").await;
    // 5 days past due: only the rep.
    issue(&t, &finance, &contract, "FP-E5", -65, "300").await;
    // Not yet due: nobody.
    issue(&t, &finance, &contract, "FP-E0", -60, "300").await;
    let first = t.app.send_receivable_reminders().await.unwrap();
    assert!(first >= 5, "{first}");
    assert_eq!(
        t.app.send_receivable_reminders().await.unwrap(),
        0,
        "sent exactly once"
    );
    assert_eq!(told(&t, "rep.east", "FP-E95").await.len(), 1);
    assert_eq!(told(&t, "rep.east", "FP-E5").await.len(), 1);
    assert!(told(&t, "rep.east", "FP-E0").await.is_empty());
    assert_eq!(told(&t, "manager.east", "FP-E95").await.len(), 1);
    assert!(told(&t, "manager.east", "FP-E5").await.is_empty());
    assert_eq!(told(&t, "finance", "FP-E95").await.len(), 1);
    assert_eq!(told(&t, "director", "FP-E95").await.len(), 1);
    assert!(told(&t, "rep.north", "FP-E95").await.is_empty());
}

#[tokio::test]
async fn fin_3_statement_balances_add_up() {
    let (t, finance, contract, zhongshan) = setup(5).await;
    issue(&t, &finance, &contract, "FP-ST1", -40, "10000").await;
    created(&pay(&t, &finance, &contract, "0.01").await);
    issue(&t, &finance, &contract, "FP-ST2", -3, "7000").await;
    created(&pay(&t, &finance, &contract, "2500").await);
    let from = days_from_today(-10);
    let to = days_from_today(0);
    let r = t
        .get(
            &format!("/api/v1/institutions/{zhongshan}/statement?from={from}&to={to}"),
            &finance,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let s = &r.body;
    let opening = s["opening"]["fen"].as_i64().unwrap();
    let invoiced = s["invoiced"]["fen"].as_i64().unwrap();
    let received = s["received"]["fen"].as_i64().unwrap();
    let closing = s["closing"]["fen"].as_i64().unwrap();
    assert_eq!(opening + invoiced - received, closing);
    assert!(invoiced >= 700_000 && received >= 250_001, "{s:?}");
    let lines = s["lines"].as_array().unwrap();
    assert_eq!(lines.last().unwrap()["balance"]["fen"], closing);
    assert!(lines.iter().any(|l| l["reference"] == "FP-ST2"));
    assert!(
        lines.iter().all(|l| l["reference"] != "FP-ST1"),
        "before the period: in the opening"
    );
    let (status, _, bytes) = t
        .fetch(
            &format!("/api/v1/institutions/{zhongshan}/statement.xlsx?from={from}&to={to}"),
            &finance,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"PK"), "an xlsx is a zip");
    let backwards = t
        .get(
            &format!("/api/v1/institutions/{zhongshan}/statement?from={to}&to={from}"),
            &finance,
        )
        .await;
    assert!(backwards.field("from").is_some());
}

#[tokio::test]
async fn fin_3_report_shows_revenue_cost_margin_and_collections_in_scope() {
    let (t, finance, contract, _) = setup(5).await;
    let r = t
        .post(
            "/api/v1/invoices",
            &finance,
            json!({"contract_id": contract["id"], "number": "FP-RP", "issued_on": days_from_today(0),
                   "amount": "20000", "cost": "15000"}),
        )
        .await;
    created(&r);
    created(&pay(&t, &finance, &contract, "5000").await);
    let today = days_from_today(0);
    let path = format!("/api/v1/receivables/report?from={today}&to={today}&group_by=rep");
    let rep = t.get(&path, &finance).await;
    assert_eq!(rep.status, StatusCode::OK, "{:?}", rep.body);
    let total = &rep.body["total"];
    assert!(total["invoiced"]["fen"].as_i64().unwrap() >= 2_000_000);
    let line = rep.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "华东销售 张伟")
        .cloned()
        .unwrap();
    assert_eq!(line["invoiced"]["fen"], 2_000_000);
    assert_eq!(line["cost"]["fen"], 1_500_000);
    assert_eq!(line["margin"]["fen"], 500_000);
    assert_eq!(line["margin_rate"], "25.00%");
    assert_eq!(line["collected"]["fen"], 500_000);
    assert_eq!(line["outstanding"]["fen"], 1_500_000);
    let north = t.login("rep.north").await;
    let theirs = t.get(&path, &north).await;
    assert!(
        theirs.body["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["name"] != "华东销售 张伟")
    );
    let (status, _, bytes) = t
        .fetch(
            &format!("/api/v1/receivables/report.xlsx?from={today}&to={today}"),
            &finance,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"PK"));
}
