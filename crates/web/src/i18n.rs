//! SYS-4: zh-CN by default, English on request. The choice lives in a cookie (and, when signed
//! in, on the user) so it persists across sessions and devices.

use axum::http::HeaderMap;

use crate::extract::{LANG_COOKIE, cookie};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh-CN" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The cookie's language, else zh-CN.
    pub fn of(headers: &HeaderMap) -> Lang {
        cookie(headers, LANG_COOKIE)
            .and_then(|c| Lang::from_code(&c))
            .unwrap_or(Lang::Zh)
    }

    /// The other language, for the switch in the user menu.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The UI text for `key`; an unknown key shows itself so a gap is visible, not silent.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => key,
        }
    }
}

/// `(key, zh-CN, en)`.
const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "医械通 CRM", "medcrm"),
    ("nav.home", "工作台", "Home"),
    ("nav.admin", "系统管理", "Administration"),
    ("nav.users", "用户", "Users"),
    ("nav.regions", "区域", "Regions"),
    ("nav.calendar", "工作日历", "Calendar"),
    ("nav.audit", "审计日志", "Audit log"),
    ("nav.api", "API 文档", "API docs"),
    ("menu.profile", "个人设置", "My account"),
    ("menu.logout", "退出登录", "Sign out"),
    ("menu.switch", "English", "中文"),
    ("login.title", "登录", "Sign in"),
    (
        "login.subtitle",
        "医疗器械销售与售后服务管理系统",
        "Sales and service for medical-device companies",
    ),
    ("login.username", "用户名", "Username"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    (
        "login.failed",
        "用户名或密码错误",
        "Invalid username or password",
    ),
    (
        "login.limited",
        "失败次数过多，请 15 分钟后再试",
        "Too many failed attempts; try again in 15 minutes",
    ),
    ("home.title", "工作台", "Home"),
    ("home.welcome", "欢迎回来", "Welcome back"),
    ("home.roles", "我的角色", "My roles"),
    ("home.regions", "我的区域", "My regions"),
    ("home.today", "今天", "Today"),
    ("home.workday", "工作日", "Working day"),
    ("home.dayoff", "休息日", "Day off"),
    ("home.next_holiday", "下一个节假日", "Next public holiday"),
    ("home.modules", "可用模块", "Available modules"),
    (
        "home.modules_hint",
        "客户、商机、报价、合同、售后等模块将在后续版本上线。",
        "Customers, pipeline, quotes, contracts and service modules arrive in the next releases.",
    ),
    ("common.save", "保存", "Save"),
    ("common.search", "搜索", "Search"),
    ("common.next", "下一页", "Next page"),
    ("common.first", "第一页", "First page"),
    ("common.actions", "操作", "Actions"),
    ("common.none", "暂无数据", "Nothing to show"),
    ("common.yes", "是", "Yes"),
    ("common.no", "否", "No"),
    ("common.all", "全部", "All"),
    ("common.saved", "已保存", "Saved"),
    ("common.back", "返回", "Back"),
    ("users.title", "用户管理", "Users"),
    ("users.new", "新建用户", "New user"),
    ("users.edit", "编辑用户", "Edit user"),
    ("users.search_hint", "用户名或姓名", "Username or name"),
    ("users.username", "用户名", "Username"),
    ("users.display_name", "姓名", "Name"),
    ("users.email", "邮箱", "Email"),
    ("users.phone", "电话", "Phone"),
    ("users.roles", "角色", "Roles"),
    ("users.regions", "区域", "Regions"),
    ("users.status", "状态", "Status"),
    ("users.active", "在用", "Active"),
    ("users.inactive", "已停用", "Deactivated"),
    (
        "users.include_inactive",
        "包含已停用",
        "Include deactivated",
    ),
    ("users.password", "初始密码", "Initial password"),
    (
        "users.password_help",
        "至少 10 位，包含字母、数字、符号中的两类，且不含用户名",
        "At least 10 characters mixing two of letters, digits and symbols, without the username",
    ),
    ("users.reset_password", "重置密码", "Reset password"),
    (
        "users.deactivate_help",
        "停用后该用户无法登录，历史记录保留",
        "A deactivated user cannot sign in; their history is kept",
    ),
    ("regions.title", "区域管理", "Regions"),
    ("regions.code", "编码", "Code"),
    ("regions.name_zh", "中文名称", "Chinese name"),
    ("regions.name_en", "英文名称", "English name"),
    ("regions.parent", "上级", "Parent"),
    ("regions.kind", "层级", "Level"),
    ("regions.add", "新增下级区域", "Add sub-region"),
    ("regions.kind.company", "公司", "Company"),
    ("regions.kind.region", "大区", "Region"),
    ("regions.kind.area", "片区", "Area"),
    ("calendar.title", "工作日历", "Business calendar"),
    (
        "calendar.help",
        "节假日与调休上班日决定所有服务时限（SLA）的计算。",
        "Holidays and make-up working days drive every service deadline (SLA).",
    ),
    (
        "calendar.no_schedule",
        "本年度尚未录入法定节假日安排：在录入之前，SLA 时限只按周末计算。国务院办公厅公布安排后，请管理员在此录入。",
        "No public-holiday schedule is recorded for this year yet, so SLA clocks skip weekends only. Enter it here once the State Council publishes it.",
    ),
    ("calendar.year", "年份", "Year"),
    ("calendar.date", "日期", "Date"),
    ("calendar.kind", "类型", "Type"),
    ("calendar.name", "名称", "Name"),
    ("calendar.holiday", "法定节假日", "Public holiday"),
    ("calendar.makeup", "调休上班", "Make-up working day"),
    (
        "calendar.working_days",
        "全年工作日",
        "Working days in the year",
    ),
    ("calendar.hours", "工作时间", "Working hours"),
    ("calendar.start", "上班", "Start"),
    ("calendar.end", "下班", "End"),
    ("calendar.add", "设置特殊日期", "Set a special day"),
    ("calendar.clear", "恢复为普通日", "Make ordinary"),
    ("audit.title", "审计日志", "Audit log"),
    (
        "audit.help",
        "所有业务数据变更均记录于此，只能追加，不能修改或删除。",
        "Every change to business data is recorded here; entries can only be appended.",
    ),
    ("audit.time", "时间", "Time"),
    ("audit.actor", "操作人", "Actor"),
    ("audit.entity", "对象", "Entity"),
    ("audit.entity_id", "编号", "Id"),
    ("audit.action", "操作", "Action"),
    ("audit.request_id", "请求编号", "Request id"),
    ("audit.change", "变更内容", "Change"),
    ("me.title", "个人设置", "My account"),
    ("me.password", "修改密码", "Change password"),
    ("me.current_password", "当前密码", "Current password"),
    ("me.new_password", "新密码", "New password"),
    ("me.tokens", "个人 API 令牌", "Personal API tokens"),
    (
        "me.tokens_help",
        "用于脚本和系统集成，以 Authorization: Bearer 令牌 方式调用 API。",
        "For scripts and integrations: call the API with Authorization: Bearer <token>.",
    ),
    ("me.token_name", "令牌名称", "Token name"),
    ("me.token_days", "有效天数", "Valid for days"),
    ("me.token_create", "生成令牌", "Create token"),
    (
        "me.token_shown",
        "请立即复制，此令牌只显示一次：",
        "Copy it now; it is shown only once:",
    ),
    ("me.token_expires", "到期", "Expires"),
    ("me.token_last_used", "最近使用", "Last used"),
    ("me.token_revoke", "撤销", "Revoke"),
    ("me.token_revoked", "已撤销", "Revoked"),
    (
        "me.password_changed",
        "密码已修改，请重新登录",
        "Password changed; please sign in again",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// SYS-4: every key has both languages and no key is listed twice.
    #[test]
    fn sys_4_every_text_has_both_languages() {
        let mut keys = std::collections::BTreeSet::new();
        for (k, zh, en) in TEXTS {
            assert!(keys.insert(*k), "duplicate key {k}");
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
        assert_eq!(Lang::Zh.t("nav.home"), "工作台");
        assert_eq!(Lang::En.t("nav.home"), "Home");
        assert_eq!(Lang::En.t("no.such.key"), "no.such.key");
    }

    /// SYS-4: every key a template uses exists.
    #[test]
    fn sys_4_templates_use_known_keys() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for part in text.split("t.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(
                    TEXTS.iter().any(|(k, _, _)| *k == key),
                    "{}: unknown key {key}",
                    p.display()
                );
            }
        }
    }
}
