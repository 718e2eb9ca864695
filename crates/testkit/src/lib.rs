//! `spawn_app()`: the real server on 127.0.0.1:0 with a fresh database and the demo company,
//! plus a small JSON client. The backend is SQLite unless `MEDCRM_TEST_POSTGRES_URL` names a
//! PostgreSQL server, where each test gets its own new database.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a failed setup should stop the test loudly

use std::path::PathBuf;

use medcrm_app::App;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Connection;

pub use medcrm_app::demo::DEMO_PASSWORD;

pub struct TestApp {
    pub base: String,
    pub app: App,
    pub http: reqwest::Client,
    dir: PathBuf,
    /// The PostgreSQL database of this test; `None` on SQLite (`medcrm.db` under `dir`).
    database_url: Option<String>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn random_name() -> String {
    format!("medcrm_test_{:016x}", rand::random::<u64>())
}

/// `Some(url)` when the suite runs against PostgreSQL.
pub fn postgres_url() -> Option<String> {
    std::env::var("MEDCRM_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A fresh database URL: a new PostgreSQL database, or `None` for SQLite under the temp dir.
async fn fresh_database() -> Option<String> {
    let admin = postgres_url()?;
    let name = random_name();
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (base, _) = admin
        .rsplit_once('/')
        .expect("postgres URL with a database name");
    Some(format!("{base}/{name}"))
}

/// Starts the app with an empty database (migrated, reference data only).
pub async fn spawn_empty() -> TestApp {
    let dir = std::env::temp_dir().join(random_name());
    std::fs::create_dir_all(&dir).unwrap();
    let url = fresh_database().await;
    let app = App::open(url.as_deref(), &dir).await.expect("open app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(medcrm_web::serve(app.clone(), listener));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base,
        app,
        http,
        dir,
        database_url: url,
    }
}

/// Starts the app with the demo company (every demo login, password `medcrm-demo`).
pub async fn spawn_app() -> TestApp {
    let t = spawn_empty().await;
    assert!(t.app.load_demo().await.unwrap());
    t
}

/// A JSON response: status and body (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// The error code of an error reply.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// The message for `field` of a validation error.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.body["error"]["fields"][field].as_str()
    }
}

impl TestApp {
    /// Runs `sql` on a connection of its own, bypassing the app: what someone with direct
    /// database access could do. The database's error message on refusal.
    pub async fn raw_sql(&self, sql: &str) -> Result<(), String> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.database_url {
            Some(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.map(drop)
            }
            None => {
                let opts =
                    sqlx::sqlite::SqliteConnectOptions::new().filename(self.dir.join("medcrm.db"));
                let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.map(drop)
            }
        }
        .map_err(|e| e.to_string())
    }

    /// A browser-like client: keeps cookies, sends forms with the page's CSRF token.
    pub fn browser(&self) -> Browser {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        Browser {
            base: self.base.clone(),
            http,
            csrf: String::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Any request; `token` as bearer, `body` as JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            body,
            headers,
        }
    }

    /// A request whose body is a file's raw bytes.
    pub async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let res = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        }
    }

    /// A GET whose answer is a file: status, content type and bytes.
    pub async fn fetch(&self, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
        let res = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, content_type, res.bytes().await.unwrap().to_vec())
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Logs in through the API and returns the bearer token.
    pub async fn login(&self, username: &str) -> String {
        self.login_with(username, DEMO_PASSWORD).await
    }

    pub async fn login_with(&self, username: &str, password: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {:?}", r.body);
        r.body["token"].as_str().unwrap().to_owned()
    }

    /// The id of the demo user `username`, looked up as admin.
    pub async fn user_id(&self, admin_token: &str, username: &str) -> i64 {
        let r = self
            .get(
                &format!("/api/v1/users?q={username}&include_inactive=true"),
                admin_token,
            )
            .await;
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == username)
            .and_then(|u| u["id"].as_i64())
            .unwrap()
    }

    /// The id of the region with `code`.
    pub async fn region_id(&self, token: &str, code: &str) -> i64 {
        let r = self.get("/api/v1/regions", token).await;
        r.body
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"] == code)
            .and_then(|x| x["id"].as_i64())
            .unwrap()
    }
}

/// A cookie-keeping client that fills in `_csrf` from the last page it loaded.
pub struct Browser {
    base: String,
    pub http: reqwest::Client,
    csrf: String,
}

/// A page: status, `Location` header and HTML.
#[derive(Debug)]
pub struct Html {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Browser {
    async fn page(res: reqwest::Response) -> Html {
        let status = res.status();
        let location = res
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = res.text().await.unwrap();
        Html {
            status,
            location,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Html {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let page = Self::page(res).await;
        if let Some(token) = csrf_of(&page.body) {
            self.csrf = token;
        }
        page
    }

    /// Posts `fields` plus the CSRF token (unless `fields` already holds `_csrf`).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Html {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if !fields.iter().any(|(k, _)| *k == "_csrf") {
            form.push(("_csrf", &self.csrf));
        }
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        Self::page(res).await
    }

    /// Signs in through the login form; panics unless redirected home.
    pub async fn sign_in(&mut self, username: &str) {
        self.get("/login").await;
        let page = self
            .post(
                "/login",
                &[("username", username), ("password", DEMO_PASSWORD)],
            )
            .await;
        assert_eq!(
            page.location.as_deref(),
            Some("/"),
            "sign in {username}: {}",
            page.status
        );
    }
}

/// The `_csrf` token of the first form on a page.
pub fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_owned())
}

/// A multipart form body as a browser sends it: `fields` in order, then the file; returns the
/// content type (with its boundary) and the body.
pub fn multipart(
    fields: &[(&str, &str)],
    file_name: &str,
    content_type: &str,
    file: &[u8],
) -> (String, Vec<u8>) {
    let boundary = "medcrmtestboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
