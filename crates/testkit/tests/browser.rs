//! SYS-4 in a real browser: sign in as a rep, the home page is in Chinese, switch to English.
//! Needs `chromedriver` and Chromium on PATH (`.ci/run` installs Debian's packages).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use medcrm_testkit::{DEMO_PASSWORD, spawn_app};

/// DESIGN.md's flags for a quiet, sandbox-less headless Chromium in CI.
const CHROME_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
];

/// chromedriver on a free port, killed when dropped.
struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver on PATH");
    Driver(child, port)
}

#[tokio::test]
async fn sys_4_rep_signs_in_and_switches_to_english() {
    let t = spawn_app().await;
    let driver = start_driver();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({"args": CHROME_ARGS}),
    );
    let url = format!("http://127.0.0.1:{}", driver.1);
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::native()
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("connect to chromedriver");

    c.goto(&t.url("/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("rep.east")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(DEMO_PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let name = c
        .wait()
        .for_element(Locator::Css(".usermenu .uname"))
        .await
        .unwrap();
    assert_eq!(name.text().await.unwrap(), "华东销售 张伟");
    assert_eq!(page_lang(&c).await.as_deref(), Some("zh-CN"));

    // The switch sits in the user menu, which opens on click.
    open_menu(&c).await;
    click(&c, Locator::Id("lang-switch")).await;
    c.wait()
        .for_element(Locator::Css("html[lang=en]"))
        .await
        .unwrap();
    open_menu(&c).await;
    let logout = c.find(Locator::Id("logout")).await.unwrap();
    assert_eq!(logout.text().await.unwrap(), "Sign out");
    assert_eq!(page_lang(&c).await.as_deref(), Some("en"));
    c.close().await.unwrap();
}

/// Opens the user menu, clicking its summary until the menu is open: right after a
/// navigation the page may still be settling and a click can be lost (CI saw the menu stay
/// shut, its items unrendered).
async fn open_menu(c: &fantoccini::Client) {
    for _ in 0..20 {
        if c.find(Locator::Css(".usermenu details[open]"))
            .await
            .is_ok()
        {
            return;
        }
        click(c, Locator::Css(".usermenu summary")).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the user menu does not open");
}

async fn click(c: &fantoccini::Client, what: Locator<'_>) {
    c.find(what).await.unwrap().click().await.unwrap();
}

/// The `lang` attribute of the page: what language the server rendered.
async fn page_lang(c: &fantoccini::Client) -> Option<String> {
    c.find(Locator::Css("html"))
        .await
        .unwrap()
        .attr("lang")
        .await
        .unwrap()
}
