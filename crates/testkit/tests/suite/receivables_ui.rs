//! Receivables pages (FIN-1…3): the overview with aging, invoices, the payment form with its
//! allocation preview, dunning, the printable statement, the report and the thresholds.

use medcrm_testkit::TestApp;
use reqwest::StatusCode;

use crate::products::days_from_today;
use crate::receivables::{issue, setup};

async fn browser(t: &TestApp, username: &str) -> medcrm_testkit::Browser {
    let mut b = t.browser();
    b.sign_in(username).await;
    b
}

#[tokio::test]
async fn fin_1_finance_records_an_invoice_and_a_payment_in_the_browser() {
    let (t, finance, contract, zhongshan) = setup(2).await;
    let k = contract["id"].as_i64().unwrap().to_string();
    issue(&t, &finance, &contract, "FP-UI-OLD", -70, "3000").await;
    let mut b = browser(&t, "finance").await;
    let home = b.get("/").await;
    assert!(home.body.contains("href=\"/receivables\""), "nav entry");
    let form = b
        .get(&format!("/receivables/invoices/new?contract_id={k}"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let bad = b
        .post(
            "/receivables/invoices",
            &[
                ("contract_id", &k),
                ("number", "FP-UI-1"),
                ("issued_on", &days_from_today(0)),
                ("amount", "abc"),
                ("cost", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("value=\"FP-UI-1\""),
        "the form keeps what was typed"
    );
    let ok = b
        .post(
            "/receivables/invoices",
            &[
                ("contract_id", &k),
                ("number", "FP-UI-1"),
                ("issued_on", &days_from_today(0)),
                ("amount", "5000"),
                ("cost", "4000"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let shown = b.get(ok.location.as_deref().unwrap()).await;
    assert!(
        shown.body.contains("FP-UI-1") && shown.body.contains("¥4,000.00"),
        "the cost"
    );
    // The preview shows the oldest due invoice settled first.
    let preview = b
        .get(&format!(
            "/receivables/payments/new?contract_id={k}&amount=3500"
        ))
        .await;
    assert!(
        preview.body.contains("allocation-preview"),
        "{}",
        preview.body
    );
    let old_at = preview.body.find("FP-UI-OLD").unwrap();
    let new_at = preview.body.rfind("FP-UI-1").unwrap();
    assert!(old_at < new_at);
    let over = b
        .get(&format!(
            "/receivables/payments/new?contract_id={k}&amount=99999"
        ))
        .await;
    assert!(!over.body.contains("allocation-preview"));
    assert!(
        over.body.contains("fielderror"),
        "overpayment named on the amount"
    );
    let paid = b
        .post(
            "/receivables/payments",
            &[
                ("contract_id", &k),
                ("amount", "3500"),
                ("received_on", &days_from_today(0)),
                ("method", "transfer"),
                ("reference", "UI-1"),
            ],
        )
        .await;
    assert_eq!(
        paid.location.as_deref(),
        Some(format!("/contracts/{k}/receivables").as_str())
    );
    let ledger = b.get(&format!("/contracts/{k}/receivables")).await;
    assert!(ledger.body.contains("UI-1") && ledger.body.contains("id=\"ledger\""));
    // The overview's aging table and chart.
    let overview = b.get("/receivables?group_by=customer").await;
    assert!(overview.body.contains("id=\"aging\"") && overview.body.contains("<svg"));
    assert!(
        overview
            .body
            .contains(&format!("/receivables/customers/{zhongshan}"))
    );
    let en = b
        .post("/lang", &[("lang", "en"), ("next", "/receivables")])
        .await;
    assert_eq!(en.status, StatusCode::SEE_OTHER);
    assert!(b.get("/receivables").await.body.contains("Over 90 days"));
}

#[tokio::test]
async fn fin_2_the_rep_logs_dunning_on_the_invoice_page_and_another_rep_gets_404() {
    let (t, finance, contract, zhongshan) = setup(1).await;
    let v = issue(&t, &finance, &contract, "FP-UI-D", -100, "900").await;
    let path = format!("/receivables/invoices/{}", v["id"]);
    let mut east = browser(&t, "rep.east").await;
    let page = east.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("/void\""),
        "a rep does not void invoices"
    );
    let logged = east
        .post(
            &format!("{path}/dunning"),
            &[
                ("kind", "letter"),
                ("note", "寄出催款函"),
                ("promised_on", &days_from_today(7)),
            ],
        )
        .await;
    assert_eq!(logged.status, StatusCode::SEE_OTHER);
    let log = east
        .get(&format!("/receivables/customers/{zhongshan}"))
        .await;
    assert!(log.body.contains("寄出催款函") && log.body.contains("FP-UI-D"));
    let mut north = browser(&t, "rep.north").await;
    assert_eq!(north.get(&path).await.status, StatusCode::NOT_FOUND);
    let theirs = north.get("/receivables/invoices").await;
    assert!(!theirs.body.contains("FP-UI-D"));
    assert_eq!(
        north
            .get(&format!("/receivables/customers/{zhongshan}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn fin_3_statement_prints_with_balances_and_the_report_lists_margins() {
    let (t, finance, contract, zhongshan) = setup(1).await;
    issue(&t, &finance, &contract, "FP-UI-S", 0, "1234.50").await;
    let mut b = browser(&t, "finance").await;
    let today = days_from_today(0);
    let st = b
        .get(&format!(
            "/receivables/customers/{zhongshan}/statement?from={today}&to={today}"
        ))
        .await;
    assert_eq!(st.status, StatusCode::OK);
    assert!(
        st.body.contains("对账单")
            && st.body.contains("FP-UI-S")
            && st.body.contains("id=\"closing\"")
    );
    assert!(st.body.contains("statement.xlsx"));
    let report = b
        .get(&format!(
            "/receivables/report?from={today}&to={today}&group_by=rep"
        ))
        .await;
    assert!(report.body.contains("id=\"report\"") && report.body.contains("华东销售 张伟"));
    let settings = b.get("/receivables/settings").await;
    assert!(settings.body.contains("name=\"manager_days\" value=\"30\""));
    let bad = b
        .post(
            "/receivables/settings",
            &[
                ("rep_days", "40"),
                ("manager_days", "30"),
                ("finance_days", "90"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let saved = b
        .post(
            "/receivables/settings",
            &[
                ("rep_days", "2"),
                ("manager_days", "30"),
                ("finance_days", "60"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert!(
        b.get("/receivables/settings")
            .await
            .body
            .contains("value=\"60\"")
    );
    let mut rep = browser(&t, "rep.east").await;
    assert!(
        !rep.get("/")
            .await
            .body
            .contains("/receivables/invoices/new")
    );
    let quality = browser(&t, "quality").await.get("/receivables").await;
    assert_eq!(quality.status, StatusCode::FORBIDDEN);
}
