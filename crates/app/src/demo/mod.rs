//! `--demo`: the demo company of DESIGN.md, created once on an empty database. Later modules
//! add their demo data here.

use medcrm_domain::auth::Role;
use medcrm_store::users;

use crate::org::{NewRegionInput, NewUserInput, insert_region, insert_user};
use crate::{App, Ctx, Result};

mod contracts;
mod customers;
mod deliveries;
mod development_plans;
mod maintenance;
mod parts;
mod pipeline;
mod products;
mod receivables;
mod service;

/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "medcrm-demo";

/// `(username, display name, roles, region code)` of every demo login.
pub const DEMO_USERS: &[(&str, &str, &[Role], &str)] = &[
    ("admin", "系统管理员 王敏", &[Role::Admin], "HQ"),
    ("director", "销售总监 李强", &[Role::SalesDirector], "HQ"),
    (
        "manager.east",
        "华东区域经理 陈静",
        &[Role::SalesManager],
        "EAST",
    ),
    ("rep.east", "华东销售 张伟", &[Role::SalesRep], "EAST-SH"),
    ("rep.north", "华北销售 刘洋", &[Role::SalesRep], "NORTH-BJ"),
    ("agent", "客服专员 赵丽", &[Role::ServiceAgent], "HQ"),
    (
        "service.manager",
        "服务经理 孙涛",
        &[Role::ServiceManager],
        "HQ",
    ),
    (
        "engineer.east",
        "华东工程师 周杰",
        &[Role::ServiceEngineer],
        "EAST",
    ),
    (
        "engineer.north",
        "华北工程师 韩磊",
        &[Role::ServiceEngineer],
        "NORTH",
    ),
    ("warehouse", "仓库主管 吴刚", &[Role::Warehouse], "HQ"),
    ("finance", "财务 郑爽", &[Role::Finance], "HQ"),
    ("legal", "法务 冯律", &[Role::Legal], "HQ"),
    ("quality", "质量合规 何静", &[Role::Quality], "HQ"),
];

/// `(code, parent code, Chinese name, English name)`, parents first.
const DEMO_REGIONS: &[(&str, Option<&str>, &str, &str)] = &[
    (
        "HQ",
        None,
        "瑞康医疗器械有限公司",
        "Ruikang Medical Devices Co.",
    ),
    ("EAST", Some("HQ"), "华东大区", "East"),
    ("NORTH", Some("HQ"), "华北大区", "North"),
    ("SOUTH", Some("HQ"), "华南大区", "South"),
    ("EAST-SH", Some("EAST"), "上海片区", "Shanghai"),
    ("EAST-JZ", Some("EAST"), "江浙片区", "Jiangsu-Zhejiang"),
    ("NORTH-BJ", Some("NORTH"), "北京片区", "Beijing"),
    ("NORTH-TJ", Some("NORTH"), "天津片区", "Tianjin"),
    ("SOUTH-GD", Some("SOUTH"), "广东片区", "Guangdong"),
];

impl App {
    /// Creates the demo company unless the database already has users. Returns whether it did.
    pub async fn load_demo(&self) -> Result<bool> {
        let mut tx = self.db.write().await?;
        if users::count(&mut tx).await? > 0 {
            return Ok(false);
        }
        let ctx = Ctx::system("demo");
        let mut ids = std::collections::BTreeMap::new();
        let mut users_by_name = std::collections::BTreeMap::new();
        for (code, parent, zh, en) in DEMO_REGIONS {
            let input = NewRegionInput {
                parent_id: parent.and_then(|p| ids.get(p).copied()),
                code: (*code).into(),
                name_zh: (*zh).into(),
                name_en: (*en).into(),
            };
            let region = insert_region(&mut tx, &ctx, &input).await?;
            ids.insert(*code, region.id);
        }
        for (username, name, roles, region) in DEMO_USERS {
            let input = NewUserInput {
                username: (*username).into(),
                display_name: (*name).into(),
                email: Some(format!("{username}@ruikang-demo.cn")),
                phone: None,
                password: DEMO_PASSWORD.into(),
                roles: roles.iter().map(|r| r.code().to_owned()).collect(),
                region_ids: ids.get(region).copied().into_iter().collect(),
            };
            let user = insert_user(&mut tx, &ctx, input).await?;
            users_by_name.insert(*username, user.user.id);
        }
        tx.commit().await?;
        // Each module's demo data goes through its own use cases, so it obeys every rule.
        let institutions = customers::load(self, &ids, &users_by_name).await?;
        development_plans::load(self, &ids, &users_by_name, &institutions).await?;
        products::load(self, &institutions).await?;
        let contracts = contracts::load(self, &institutions).await?;
        // ORD: the first signed contract ships in part (in execution), the second in full and
        // is completed, rep.north's in full (so one lot reaches two hospitals); the third
        // stays signed.
        let signed = &contracts.signed;
        let shipped: Vec<i64> = [0, 1, 3]
            .iter()
            .filter_map(|i| signed.get(*i).copied())
            .collect();
        self.load_delivery_demo(&shipped).await?;
        if let Some(done) = signed.get(1) {
            let director = self.ctx_as("director", "demo").await?;
            self.complete_contract(&director, *done).await?;
        }
        // FIN: invoices, payments and dunning on every binding contract.
        let billable = contracts::billable(self).await?;
        self.load_receivables_demo(&billable).await?;
        self.load_service_demo().await?;
        self.load_maintenance_demo().await?;
        // PRT: spare parts, after the service demo whose part requests they serve.
        self.load_parts_demo().await?;
        Ok(true)
    }
}
